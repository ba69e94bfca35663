"""Loading: rule files into checked models, every problem as ``path:line:``.

``ruleset`` loads the Sigma rules and correlations of a folder (``correlations`` is the
correlation rule model, ``rule_settings`` a rule's ``canhgac:`` block), ``suppressions`` the
accepted false positives under ``rules/exceptions/``, and ``filters`` applies Sigma filters and
suppressions to the rules before they are compiled.
"""
