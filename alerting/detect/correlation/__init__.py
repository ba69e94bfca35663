"""Correlations: Sigma correlation rules over the events of their base rules.

``plan`` compiles a correlation (resolves the rules and fields it references, ``fields`` maps
its field names per rule), ``run`` fetches one window's inputs from any store, ``eval`` decides
in Python whether and where the condition holds, with the measures of ``metrics``.
"""
