"""Data health of the log sources: judge the store's hourly numbers (:mod:`.judge`), raise
health alerts through the normal alert path (:mod:`.alerts`), run it periodically
(:mod:`.monitor`) and answer the UI (:mod:`.report`)."""
