"""The data proxy: public upstream data, cached in Valkey, filled by Celery workers.

- ``upstreams.py``: every upstream service, declared once (its label, URL
  setting, limits, simulator route);
- ``kinds/``: the kinds of cached data (climate, buildings, canopy, places,
  sun...), one module each, and their registry;
- ``clients/``: one module per upstream: the HTTP requests and their errors;
- ``guards/``: what holds requests back: breakers, budgets, pacing, shares;
- ``cache/``: the store of entries in Valkey, and each process's copies;
- ``jobs/``: job records, the Celery task that fills them, retries,
  liveness, warming;
- ``http/``: the API: views, parsing, answers, throttles, the Range proxy;
- ``status.py``: a place's data status and facts, for plans;
- ``overview.py``, ``admin.py``, ``models.py``: the admin's cache page.

docs/architecture.md follows a request through them and says how to add a kind.
"""
