"""The embedded store: one SQLite database file (:mod:`canhgac.store.sqlite.store`)."""
