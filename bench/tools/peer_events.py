"""One generated Windows event set for every engine of ``bench_detect_peers.py``.

Events are NXLog's flat JSON (``im_msvistalog`` with ``to_json()``): the System fields
(``EventID``, ``Channel``, ``Hostname``, ...) and the EventData fields (``Image``,
``CommandLine``, ``TargetUserName``, ...) side by side, i.e. the raw Sigma field names that a
Sigma evaluator without a pipeline (rsigma, Zircolite) reads, and what our Windows parser
(``ingest/parse/windows.py``) turns into ECS for our store. One file, read by all.

Most events are background: Sysmon process creations (event 1) and Security logons,
process creations (4688) and object accesses (4663) with ordinary values. A share of them
(``plant_rate``) is *planted*: built from one rule's detection (round robin over the rules),
every search identifier of its condition that is not a filter or negated is satisfied with a
value from the rule (the value after its modifiers: ``|contains`` gets text around it,
``|windash`` one of its dash forms, ``|base64offset`` one of its encodings; a ``|re`` is left
out). One planted event in four has its planted text upper-cased, since Sigma's string
matching is case-insensitive. Whether a planted event matches depends on its rule's filters and
on the background values around it, identically for every engine.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sigma.conditions import ConditionAND, ConditionOR
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import (
    SigmaBool,
    SigmaCIDRExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaNull,
    SigmaNumber,
    SigmaString,
    SpecialChars,
)

Record = dict[str, Any]
SYSMON = "Microsoft-Windows-Sysmon/Operational"
USERS = ["nguyen.van.an", "tran.thi.binh", "le.hoang.cuong", "pham.minh.duc", "Nguyễn Văn An"]
HOSTS = [f"HN-WS-{n:03d}" for n in range(40)] + ["UBND-HOANKIEM-DC01", "SO-TTTT-FS01"]
PROGRAMS = [  # (image, command line arguments, parent image)
    (
        r"C:\Windows\System32\svchost.exe",
        "-k netsvcs -p -s Schedule",
        r"C:\Windows\System32\services.exe",
    ),
    (
        r"C:\Program Files\Google\Chrome\Application\chrome.exe",
        "--type=renderer",
        r"C:\Windows\explorer.exe",
    ),
    (r"C:\Windows\System32\conhost.exe", "0xffffffff -ForceV1", r"C:\Windows\System32\cmd.exe"),
    (
        r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE",
        r'/n "D:\Hồ sơ\tờ trình.docx"',
        r"C:\Windows\explorer.exe",
    ),
    (r"C:\Windows\System32\taskhostw.exe", "", r"C:\Windows\System32\svchost.exe"),
]
OBJECTS = [r"\REGISTRY\MACHINE\SOFTWARE\Bench", r"D:\Chia sẻ\Báo cáo quý 4.xlsx", r"C:\Temp\a.txt"]
# Condition words that are not search identifiers.
_KEYWORDS = {"and", "or", "not", "of", "all", "them", "1"}
_NEGATED = re.compile(r"\bnot\s+(?:(?:1|all)\s+of\s+)?([\w*]+)")


def _sysmon_process(rng: random.Random, host: str, user: str) -> Record:
    image, arguments, parent = rng.choice(PROGRAMS)
    name = image.rsplit("\\", 1)[-1]
    return {
        "Hostname": host,
        "EventID": 1,
        "SourceName": "Microsoft-Windows-Sysmon",
        "Channel": SYSMON,
        "Image": image,
        "OriginalFileName": name,
        "Description": name.split(".")[0],
        "Product": "Microsoft® Windows® Operating System",
        "Company": "Microsoft Corporation",
        "CommandLine": f'"{image}" {arguments}'.strip(),
        "CurrentDirectory": "C:\\Windows\\system32\\",
        "User": f"HANOI\\{user}",
        "IntegrityLevel": rng.choice(["Medium", "High", "System"]),
        "Hashes": f"SHA256={rng.getrandbits(256):064X}",
        "ParentImage": parent,
        "ParentCommandLine": parent,
    }


def _security(rng: random.Random, host: str, user: str) -> Record:
    roll = rng.random()
    record: Record = {
        "Hostname": host,
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Channel": "Security",
        "SubjectUserName": f"{host}$",
        "SubjectDomainName": "HANOI",
    }
    if roll < 0.6:
        record.update(
            EventID=rng.choice([4624, 4624, 4625]),
            TargetUserName=user,
            TargetDomainName="HANOI",
            LogonType=rng.choice([2, 3, 3, 10]),
            LogonProcessName="NtLmSsp",
            AuthenticationPackageName="NTLM",
            IpAddress=f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            WorkstationName=rng.choice(HOSTS),
        )
    elif roll < 0.8:
        image, arguments, parent = rng.choice(PROGRAMS)
        record.update(
            EventID=4688,
            NewProcessName=image,
            CommandLine=f'"{image}" {arguments}'.strip(),
            ParentProcessName=parent,
            TokenElevationType="%%1936",
        )
    else:
        record.update(
            EventID=4663,
            ObjectServer="Security",
            ObjectType=rng.choice(["File", "Key"]),
            ObjectName=rng.choice(OBJECTS),
            AccessMask="0x1",
            ProcessName=r"C:\Windows\explorer.exe",
        )
    return record


def _text(value: SigmaString, rng: random.Random) -> str:
    """One string the pattern matches: wildcards become a little text."""
    out = []
    for part in value.s:
        if part == SpecialChars.WILDCARD_MULTI:
            out.append(rng.choice(["", "x"]))
        elif part == SpecialChars.WILDCARD_SINGLE:
            out.append("a")
        else:
            out.append(str(part))
    return "".join(out)


def _value(value: Any, rng: random.Random) -> Any:
    """A JSON value matching one Sigma value; None when it cannot be made (``|re``)."""
    if isinstance(value, SigmaExpansion):
        return _value(rng.choice(value.values), rng)
    if isinstance(value, SigmaString):
        return _text(value, rng)
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaCIDRExpression):
        return str(next(iter(value.network.hosts()), value.network.network_address))
    return None


def _plant_item(item: SigmaDetectionItem, record: Record, rng: random.Random) -> None:
    if item.field is None:  # a keyword: no field to put it in
        return
    if any(isinstance(v, SigmaNull) for v in item.value) or (
        item.value and isinstance(item.value[0], SigmaExists) and not item.value[0].value
    ):
        record.pop(item.field, None)
        return
    if item.value and isinstance(item.value[0], SigmaExists):
        record[item.field] = record.get(item.field) or "bench"
        return
    if item.value_linking is ConditionAND:  # |all: every value in one text
        parts = [_value(v, rng) for v in item.value]
        record[item.field] = " ".join(str(p) for p in parts if p is not None)
        return
    value = _value(rng.choice(item.value), rng) if item.value else None
    earlier = record.get(item.field)
    if isinstance(value, str) and isinstance(earlier, str):  # two selections on one field
        record[item.field] = f"{earlier} {value}"
    elif value is not None:
        record[item.field] = value


def _plant_detection(detection: SigmaDetection, record: Record, rng: random.Random) -> None:
    items = detection.detection_items
    if detection.item_linking is ConditionOR:  # a list of maps: one of them
        items = [rng.choice(items)] if items else []
    for item in items:
        if isinstance(item, SigmaDetection):
            _plant_detection(item, record, rng)
        else:
            _plant_item(item, record, rng)


def planted_identifiers(rule: SigmaRule) -> list[str]:
    """The search identifiers of a rule's conditions that a match needs (not filters, not
    negated), in the detection's order."""
    wanted: set[str] = set()
    negated: set[str] = set()
    for condition in rule.detection.condition:
        words = re.findall(r"[\w*]+", condition)
        wanted |= {w for w in words if w.lower() not in _KEYWORDS}
        negated |= set(_NEGATED.findall(condition))
    names = list(rule.detection.detections)
    return [
        name
        for name in names
        if not name.startswith("filter")
        and any(re.fullmatch(p.replace("*", ".*"), name) for p in wanted - negated)
        and not any(re.fullmatch(p.replace("*", ".*"), name) for p in negated)
    ]


def planted(rule: SigmaRule, base: Record, rng: random.Random) -> Record:
    """``base`` with the values that make ``rule``'s selections true."""
    record = dict(base)
    added: Record = {}
    for name in planted_identifiers(rule):
        _plant_detection(rule.detection.detections[name], added, rng)
    if rng.random() < 0.25:
        added = {k: v.upper() if isinstance(v, str) else v for k, v in added.items()}
    record.update(added)
    return record


def load_sigma_rules(directory: Path) -> list[SigmaRule]:
    files = sorted(directory.rglob("*.yml"))
    return [SigmaRule.from_yaml(path.read_text(encoding="utf-8")) for path in files]


def _base_for(rule: SigmaRule, rng: random.Random, host: str, user: str) -> Record:
    if rule.logsource.service == "security":
        return _security(rng, host, user)
    return _sysmon_process(rng, host, user)


def generate(
    rules: list[SigmaRule], count: int, plant_rate: float, start: datetime, seed: int = 14
) -> Iterator[Record]:
    """``count`` NXLog records, ``EventTime`` spread over the hour after ``start`` (UTC)."""
    rng = random.Random(seed)
    planted_so_far = 0
    for n in range(count):
        host, user = rng.choice(HOSTS), rng.choice(USERS)
        if rules and rng.random() < plant_rate:
            rule = rules[planted_so_far % len(rules)]
            planted_so_far += 1
            record = planted(rule, _base_for(rule, rng, host, user), rng)
        elif n % 2:
            record = _security(rng, host, user)
        else:
            record = _sysmon_process(rng, host, user)
        stamp = start + timedelta(microseconds=n * 3_600_000_000 // max(1, count))
        record["EventTime"] = stamp.strftime("%Y-%m-%d %H:%M:%S")
        record["RecordNumber"] = n + 1
        yield record


def write_jsonl(records: Iterator[Record], path: Path) -> int:
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False))
            out.write("\n")
            written += 1
    return written
