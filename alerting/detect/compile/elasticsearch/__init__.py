"""The scaled store's compiler: Sigma rules as Elasticsearch query DSL.

``backend`` is the pySigma backend; it builds each field comparison with ``leaves`` from the
mapping ``fields`` reads, ``strings`` (case-folded text queries), ``grams`` (the n-gram guards),
``regex`` (Python regexes as Lucene ones) over the character sets of ``charsets`` and ``fold``.
"""
