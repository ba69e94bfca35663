"""Compiling: loaded rules into the query language of the store they run against.

``rules`` compiles a rule set through the store's compiler (``QUERY_COMPILERS``), ``pipeline``
loads the processing pipelines that map Sigma log sources and fields to ours, ``query`` is what
every compiler returns and ``patterns`` the string handling both share. Each store's compiler is
a sub-package: ``sqlite`` (WHERE fragments, with ``patterns`` and the ``prefilter`` substring
guards) and ``elasticsearch`` (query DSL, built leaf by leaf).
"""
