"""Event search for hunting: the query language analysts type, parsed by us into a typed tree
(:mod:`alerting.hunt.syntax`, :mod:`alerting.hunt.parser`) and compiled into each store's own
query (:mod:`alerting.hunt.compilers`): SQL with bound parameters, or query DSL dicts."""
