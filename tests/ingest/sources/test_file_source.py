"""The file source against real files, a real MemoryTransport and a real SQLite store."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from canhgac.config import FileSourceConfig
from canhgac.models import event_id
from ingest.sources.checkpoint import checkpoint_path
from ingest.sources.file import ROTATED_IDLE_POLLS, FileSource

Pipeline = Any  # the conftest harness: store, transport, indexer
Wait = Callable[..., None]


def _source(
    tmp_path: Path, pipeline: Pipeline, pattern: str = "app.log", **options: Any
) -> FileSource:
    extra = {"ack_timeout": options.pop("ack_timeout", 5.0)}
    if "batch_records" in options:
        extra["batch_records"] = options.pop("batch_records")
    options.setdefault("parser", "raw")
    config = FileSourceConfig(
        name="app", path=str(tmp_path / pattern), poll_interval="10ms", **options
    )
    return FileSource(config, pipeline.transport, tmp_path / "state", **extra)


def _append(path: Path, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    with path.open("ab") as handle:
        handle.write(data)


def _saved_offsets(tmp_path: Path) -> dict[str, int]:
    document = json.loads(checkpoint_path(tmp_path / "state", "app").read_text())
    return {f"{f['inode']}:{f['fingerprint']}": f["offset"] for f in document["files"]}


def test_reads_lines_and_resumes_from_the_checkpoint(tmp_path: Path, pipeline: Pipeline) -> None:
    log = tmp_path / "app.log"
    _append(log, "một\nhai\n\nba\n")
    first = _source(tmp_path, pipeline)
    first.poll()
    pipeline.index()
    first.stop()
    assert pipeline.originals() == sorted(["một", "hai", "ba"])
    assert list(_saved_offsets(tmp_path).values()) == [log.stat().st_size]

    _append(log, "bốn\nnăm\n")
    second = _source(tmp_path, pipeline)
    second.poll()
    pipeline.index()
    second.stop()
    assert pipeline.originals() == sorted(["một", "hai", "ba", "bốn", "năm"])
    assert pipeline.indexer.stats().duplicates == 0


def test_event_ids_come_from_inode_fingerprint_and_offset(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "first\nsecond\n")
    source = _source(tmp_path, pipeline)
    source.poll()
    pipeline.index()
    source.stop()
    [key] = _saved_offsets(tmp_path)
    by_offset = {e.fields["log.offset"]: e for e in pipeline.events()}
    assert by_offset[6].id == event_id(f"file:{key}", 6)
    assert by_offset[6].fields["log.file.path"] == str(log)


def test_crash_after_store_write_before_checkpoint_loses_and_duplicates_nothing(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    lines = [f"dòng {i}" for i in range(1200)]
    _append(log, "".join(f"{line}\n" for line in lines[:500]))
    source = _source(tmp_path, pipeline, ack_timeout=0.05)
    source.poll()
    pipeline.index()  # stored and checkpointed
    _append(log, "".join(f"{line}\n" for line in lines[500:900]))
    source.poll()
    # The crash: the store writes the batch, the process dies before the ack.
    while (batch := pipeline.transport.receive(0)) is not None:
        pipeline.store.write_events(batch.events)
    _append(log, "".join(f"{line}\n" for line in lines[900:1000]))
    source.poll()
    while pipeline.transport.receive(0) is not None:  # died before even storing these
        pass
    source.stop()
    assert pipeline.store.count_events() == 900

    _append(log, "".join(f"{line}\n" for line in lines[1000:]))
    restarted = _source(tmp_path, pipeline)
    restarted.poll()
    pipeline.index()
    restarted.stop()
    assert Counter(pipeline.originals()) == Counter(lines)
    assert list(_saved_offsets(tmp_path).values()) == [log.stat().st_size]


def test_rename_rotation_finishes_the_old_file_and_reads_the_new(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "old 1\nold 2\n")
    source = _source(tmp_path, pipeline)
    source.poll()
    os.rename(log, tmp_path / "app.log.1")
    _append(tmp_path / "app.log.1", "old 3, written after the rename\nold tail")
    _append(log, "new 1\n")
    for _ in range(ROTATED_IDLE_POLLS + 1):
        source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == sorted(
        ["old 1", "old 2", "old 3, written after the rename", "old tail", "new 1"]
    )
    # Only the new file is left in the checkpoint: the rotated one was finished and closed.
    assert list(_saved_offsets(tmp_path).values()) == [len("new 1\n")]


def test_glob_tails_every_match_and_follows_a_rename_within_it(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    _append(tmp_path / "a.log", "a1\n")
    _append(tmp_path / "b.log", "b1\n")
    source = _source(tmp_path, pipeline, pattern="*.log*")
    source.poll()
    os.rename(tmp_path / "a.log", tmp_path / "a.log.1")  # still matched: same file
    _append(tmp_path / "a.log.1", "a2\n")
    _append(tmp_path / "a.log", "a3\n")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["a1", "a2", "a3", "b1"]
    assert len(_saved_offsets(tmp_path)) == 3


def test_copytruncate_restarts_at_zero(tmp_path: Path, pipeline: Pipeline) -> None:
    log = tmp_path / "app.log"
    _append(log, "a fairly long line before rotation\nanother long line before rotation\n")
    source = _source(tmp_path, pipeline)
    source.poll()
    shutil.copy(log, tmp_path / "app.log.1")
    with log.open("r+b") as handle:
        handle.truncate(0)
    _append(log, "after\n")  # shorter than the old offset
    source.poll()
    pipeline.index()
    source.stop()
    assert "after" in pipeline.originals()
    assert list(_saved_offsets(tmp_path).values()) == [len("after\n")]


def test_copytruncate_rewritten_past_the_old_offset_is_noticed_by_fingerprint(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "x\n")
    source = _source(tmp_path, pipeline)
    source.poll()
    with log.open("r+b") as handle:
        handle.truncate(0)
    _append(log, "y1 - the file now holds other lines\ny2\n")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["x", "y1 - the file now holds other lines", "y2"]


def test_long_line_becomes_one_dead_letter_and_reading_goes_on(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "short\n" + "A" * 1000 + "\nafter\n")
    source = _source(tmp_path, pipeline, max_line_bytes=64)
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["after", "short"]
    [dead] = pipeline.dead_letters()
    assert dead.reason == "line exceeds 64 bytes"
    assert dead.raw == b"A" * 64
    assert dead.context["offset"] == len("short\n")


def test_long_line_still_being_written_is_skipped_across_polls_and_restarts(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "start\n" + "B" * 100)
    source = _source(tmp_path, pipeline, max_line_bytes=64)
    source.poll()
    pipeline.index()
    source.stop()
    assert len(pipeline.dead_letters()) == 1

    _append(log, "B" * 5000 + "\nnext\n")
    restarted = _source(tmp_path, pipeline, max_line_bytes=64)
    restarted.poll()
    pipeline.index()
    restarted.stop()
    assert pipeline.originals() == ["next", "start"]
    assert len(pipeline.dead_letters()) == 1


def test_partial_last_line_waits_for_its_newline(tmp_path: Path, pipeline: Pipeline) -> None:
    log = tmp_path / "app.log"
    _append(log, "one\ntw")
    source = _source(tmp_path, pipeline)
    source.poll()
    source.poll()
    pipeline.index()
    assert pipeline.originals() == ["one"]
    _append(log, "o\n")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["one", "two"]


def test_file_without_a_first_line_is_read_once_it_has_one(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "abc")
    source = _source(tmp_path, pipeline)
    source.poll()
    _append(log, "def\n")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["abcdef"]


def test_start_at_end_skips_existing_lines_but_not_new_files(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    _append(tmp_path / "a.log", "old\nhalf")
    source = _source(tmp_path, pipeline, pattern="*.log", start_at="end")
    source.poll()
    _append(tmp_path / "a.log", " written\nnew\n")
    _append(tmp_path / "b.log", "appeared later\n")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["appeared later", "half written", "new"]


def test_start_at_end_position_survives_a_restart_without_records(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "old\n")
    source = _source(tmp_path, pipeline, start_at="end")
    source.poll()
    pipeline.index()  # an empty batch carries the checkpoint
    source.stop()
    _append(log, "while down\n")
    restarted = _source(tmp_path, pipeline, start_at="end")
    restarted.poll()
    pipeline.index()
    restarted.stop()
    assert pipeline.originals() == ["while down"]


def test_a_full_transport_pauses_reading_and_loses_nothing(
    tmp_path: Path, tight_pipeline: Pipeline
) -> None:
    log = tmp_path / "app.log"
    _append(log, "".join(f"line {i}\n" for i in range(20)))
    source = _source(tmp_path, tight_pipeline, batch_records=2)
    reader = threading.Thread(target=source.poll)
    reader.start()
    time.sleep(0.2)
    # One batch queued, the reader blocked handing over the next; nothing dropped.
    assert reader.is_alive() and tight_pipeline.transport.pending() == 1
    tight_pipeline.start_indexer()
    reader.join(timeout=10)
    source.stop()
    assert tight_pipeline.originals() == sorted(f"line {i}" for i in range(20))


def test_windows_1258_is_decoded(tmp_path: Path, pipeline: Pipeline) -> None:
    log = tmp_path / "app.log"
    # Windows-1258 writes "ậ" as "â" plus a combining dot below; the event holds NFC text.
    _append(log, "Văn đăng nh\u00e2\u0323p\n".encode("windows-1258"))
    source = _source(tmp_path, pipeline, encoding="windows-1258")
    source.poll()
    pipeline.index()
    source.stop()
    assert pipeline.originals() == ["Văn đăng nhập"]


def test_threaded_tail_follows_rotation_end_to_end(
    tmp_path: Path, pipeline: Pipeline, wait_until: Wait
) -> None:
    log = tmp_path / "app.log"
    _append(log, "".join(f"before {i}\n" for i in range(50)))
    pipeline.start_indexer()
    with _source(tmp_path, pipeline):
        wait_until(lambda: pipeline.store.count_events() == 50)
        os.rename(log, tmp_path / "app.log.1")
        _append(log, "".join(f"after {i}\n" for i in range(50)))
        wait_until(lambda: pipeline.store.count_events() == 100)
    expected = [f"before {i}" for i in range(50)] + [f"after {i}" for i in range(50)]
    assert pipeline.originals() == sorted(expected)


def test_the_sources_timezone_and_year_reach_the_parser(tmp_path: Path, pipeline: Pipeline) -> None:
    # An archived auth log of a host whose clock runs in UTC: the lines carry neither.
    _append(tmp_path / "app.log", "Dec 31 23:59:58 web01 sshd[1]: Connection closed by 1.2.3.4\n")
    source = _source(tmp_path, pipeline, parser="auth", timezone="UTC", year=2021)
    source.poll()
    pipeline.index()
    source.stop()
    [event] = pipeline.events()
    assert event.fields["@timestamp"] == "2021-12-31T23:59:58.000000Z"


def test_a_cloudtrail_s3_file_on_one_line_is_one_event_per_record(
    tmp_path: Path, pipeline: Pipeline
) -> None:
    # A trail's S3 object, unzipped: {"Records": [...]} on one line. Batches of 2 records
    # would cut it in two; all its events leave in one batch with the checkpoint past it.
    log = tmp_path / "trail.json"
    records = [
        {"eventName": f"Describe{n}", "eventSource": "ec2.amazonaws.com",
         "eventTime": "2026-11-30T03:12:45Z", "awsRegion": "ap-southeast-1"}
        for n in range(3)
    ]  # fmt: skip
    _append(log, json.dumps({"Records": [*records, "not a record"]}) + "\n")
    source = _source(tmp_path, pipeline, "trail.json", parser="cloudtrail", batch_records=2)
    source.poll()
    pipeline.index()
    source.stop()
    events = pipeline.events()
    assert sorted(e.fields["event.action"] for e in events) == [
        "Describe0",
        "Describe1",
        "Describe2",
    ]
    [key] = _saved_offsets(tmp_path)
    assert {e.id for e in events} == {event_id(f"file:{key}", f"0:{n}") for n in range(3)}
    assert {e.fields["log.offset"] for e in events} == {0}
    [dead] = pipeline.dead_letters()
    assert "not an object" in dead.reason
    assert list(_saved_offsets(tmp_path).values()) == [log.stat().st_size]
