"""Detection settings shared by the detection benches."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from canhgac.config import DetectionConfig


def window_config(rules_dir: Path, pipeline: Path) -> DetectionConfig:
    """Detection settings for a bench: one window may span the whole generated set."""
    return DetectionConfig(
        rules_dir=str(rules_dir),
        pipeline=[str(pipeline)],
        ingest_delay=timedelta(0),
        max_window=timedelta(days=2),
        max_lookback=timedelta(days=7),
        page_size=1000,
    )
