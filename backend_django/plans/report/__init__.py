"""The plan report (a PDF to print and take outside) and the plan's export (a zip).

- ``content.py``: what the report says, gathered from the plan's own answers
  (bed_sun.py, recommendations.py, planting.py) and the climate summary; no
  computation of its own;
- ``sitemap.py``: the map of the site drawn on the server from the cached sun
  raster and building footprints, with the beds;
- ``pdf.py``: the PDF (ReportLab, decision 0026): every text of the plan's is
  set as text, never as markup, and nothing is ever fetched;
- ``kind.py``: the ``report`` derived kind (upstream/kinds, decision 0019): a
  unit per plan version, built by a worker from the cached climate, sun and
  buildings, kept as long as they are fresh and at most REPORT_KEEP_SECONDS;
- ``export.py``: the zip of a plan (plan JSON, beds GeoJSON, sun GeoTIFF,
  calendar ICS, the report when built, README.txt).

Rules: docs/plans.md, "Report and export".
"""
