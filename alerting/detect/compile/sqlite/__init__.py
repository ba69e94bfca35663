"""The embedded store's compiler: Sigma rules as SQLite WHERE fragments.

``backend`` is the pySigma backend, ``patterns`` the SQL literals, ``LIKE`` and ``GLOB``
patterns it writes, and ``prefilter`` the raw-text substring guards that reject most events
before their JSON is parsed.
"""
