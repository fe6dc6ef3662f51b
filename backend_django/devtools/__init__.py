"""Tools for development and tests only (installed by the local and test settings, never in production).

- ``simulator/``: the upstream simulator (fake Open-Meteo, Overpass, S3
  canopy tiles, geocoder, basemap and Terrarium tiles), importable without
  Django; docs/upstream-simulator.md.
- ``manage.py upstream_simulator``: runs it as a process (``make dev`` with
  ``UPSTREAMS=simulator``, the browser tests).
"""
