"""Windows Security events of the e-cabinet PCs and the domain controller, winlogbeat style."""

from __future__ import annotations

import random
from datetime import datetime

from canhgac.cli.demo.catalog import AD_DOMAIN, AD_SUFFIX
from canhgac.cli.demo.formats import winlogbeat
from canhgac.cli.demo.model import Channel, LogLine

SECURITY = "Security"
AUDITING = "Microsoft-Windows-Security-Auditing"
EVENTLOG = "Microsoft-Windows-Eventlog"
SYSTEM_SID = "S-1-5-18"
_DOMAIN_SID = "S-1-5-21-3623811015-3361044348-30300820"


def user_sid(user: str) -> str:
    # A stable RID per name, so one user keeps one SID across events.
    return f"{_DOMAIN_SID}-{1100 + sum(user.encode()) % 900}"


def logon_id(rng: random.Random) -> str:
    return f"0x{rng.randint(0x100000, 0xFFFFFFF):x}"


def _event(
    rng: random.Random,
    now: datetime,
    computer: str,
    event_id: int,
    action: str,
    message: str,
    attack: str | None,
    *,
    provider: str = AUDITING,
    event_data: dict[str, str] | None = None,
    user_data: dict[str, str] | None = None,
) -> LogLine:
    text = winlogbeat(
        now,
        computer=f"{computer}.{AD_SUFFIX}",
        event_id=event_id,
        provider=provider,
        channel=SECURITY,
        record_id=rng.randint(1_000_000, 9_999_999),
        message=message,
        action=action,
        event_data=event_data,
        user_data=user_data,
    )
    return LogLine(Channel.http, text, attack)


def _subject(computer: str, user: str | None, rng: random.Random) -> dict[str, str]:
    if user is None:  # the machine account acting for the system
        return {
            "SubjectUserSid": SYSTEM_SID,
            "SubjectUserName": f"{computer}$",
            "SubjectDomainName": AD_DOMAIN,
            "SubjectLogonId": "0x3e7",
        }
    return {
        "SubjectUserSid": user_sid(user),
        "SubjectUserName": user,
        "SubjectDomainName": AD_DOMAIN,
        "SubjectLogonId": logon_id(rng),
    }


def logon(
    rng: random.Random,
    now: datetime,
    computer: str,
    user: str,
    logon_type: int,
    address: str,
    attack: str | None = None,
) -> LogLine:
    """4624: interactive (2), unlock (7), cached (11) on a PC; network (3) on the DC."""
    network = logon_type == 3
    data = {
        **_subject(computer, None, rng),
        "TargetUserSid": user_sid(user),
        "TargetUserName": user,
        "TargetDomainName": AD_DOMAIN,
        "TargetLogonId": logon_id(rng),
        "LogonType": str(logon_type),
        "LogonProcessName": "Kerberos" if network else "User32",
        "AuthenticationPackageName": "Kerberos" if network else "Negotiate",
        "WorkstationName": "-" if network else computer,
        "IpAddress": address,
        "IpPort": str(rng.randint(49152, 65535)) if network else "0",
        "ProcessName": "-" if network else r"C:\Windows\System32\svchost.exe",
    }
    message = "An account was successfully logged on."
    return _event(rng, now, computer, 4624, "logged-in", message, attack, event_data=data)


def logoff(rng: random.Random, now: datetime, computer: str, user: str) -> LogLine:
    data = {
        "TargetUserSid": user_sid(user),
        "TargetUserName": user,
        "TargetDomainName": AD_DOMAIN,
        "TargetLogonId": logon_id(rng),
        "LogonType": "2",
    }
    message = "An account was logged off."
    return _event(rng, now, computer, 4634, "logged-out", message, None, event_data=data)


def process_created(
    rng: random.Random,
    now: datetime,
    computer: str,
    user: str,
    image: str,
    command_line: str,
    parent: str,
    attack: str | None = None,
) -> LogLine:
    """4688 with command-line auditing on (the city's GPO enables it)."""
    data = {
        **_subject(computer, user, rng),
        "NewProcessId": f"0x{rng.randint(0x400, 0xFFFF):x}",
        "NewProcessName": image,
        "TokenElevationType": "%%1938",
        "ProcessId": f"0x{rng.randint(0x400, 0xFFFF):x}",
        "CommandLine": command_line,
        "TargetUserSid": "S-1-0-0",
        "TargetUserName": "-",
        "TargetDomainName": "-",
        "TargetLogonId": "0x0",
        "ParentProcessName": parent,
        "MandatoryLabel": "S-1-16-8192",
    }
    message = "A new process has been created."
    return _event(rng, now, computer, 4688, "created-process", message, attack, event_data=data)


def member_added(
    rng: random.Random,
    now: datetime,
    computer: str,
    actor: str,
    member: str,
    member_display: str,
    group: str,
    attack: str | None = None,
) -> LogLine:
    """4732: a member added to a security-enabled local group (Administrators: S-1-5-32-544)."""
    data = {
        "MemberName": f"CN={member_display},OU=Can bo,DC=ubnd,DC=hanoi,DC=gov,DC=vn",
        "MemberSid": user_sid(member),
        "TargetUserName": group,
        "TargetDomainName": "Builtin",
        "TargetSid": "S-1-5-32-544",
        **_subject(computer, actor, rng),
        "PrivilegeList": "-",
    }
    message = "A member was added to a security-enabled local group."
    return _event(
        rng, now, computer, 4732, "added-member-to-group", message, attack, event_data=data
    )


def log_cleared(
    rng: random.Random, now: datetime, computer: str, actor: str, attack: str | None = None
) -> LogLine:
    """1102: the Security log was cleared; its fields are UserData, not EventData."""
    data = {
        "SubjectUserSid": user_sid(actor),
        "SubjectUserName": actor,
        "SubjectDomainName": AD_DOMAIN,
        "SubjectLogonId": logon_id(rng),
    }
    message = "The audit log was cleared."
    return _event(
        rng,
        now,
        computer,
        1102,
        "audit-log-cleared",
        message,
        attack,
        provider=EVENTLOG,
        user_data={"xml_name": "LogFileCleared", **data},
    )
