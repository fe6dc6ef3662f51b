"""The cache: upstream data kept in Valkey ready to send.

- ``store.py``: entries (``ss:e:<unit>``: the body compressed once, its ETag
  and freshness), derived entries' dependents, remembered upstream refusals;
- ``local_copies.py``, ``tracking.py``, ``client_counts.py``: each web
  process's copies of the entries it served, kept coherent by Valkey's
  client tracking, so a repeated hit needs no round trip (decision 0010).
"""
