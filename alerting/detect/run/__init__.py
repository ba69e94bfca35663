"""Running: compiled rules on a schedule over the events the store has settled.

``window_plan`` decides which windows of ``event.ingested`` a rule run searches, ``engine``
runs one rule window by window and stores its alerts and watermark, ``scheduler`` runs every
rule on its interval, ``lease`` keeps detectors that share a rule set from running the same
rule at once, and ``reload`` swaps in a recompiled rule set when a rule file changes.
"""
