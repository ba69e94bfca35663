"""The scaled store: Elasticsearch (:mod:`.store`).

Kept empty so that importing a pure part (mappings, grams, queries) does not load the
``elasticsearch`` client library.
"""
