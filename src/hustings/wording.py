"""Plain words for the codes and times the interface shows: the one place they are written.

Templates never print an internal code (``with_police``, ``appeal_decided``,
``shield_unknown_account``) or a raw timestamp: they pass it through the ``plain`` and ``when``
filters (registered in `hustings.web.templating`; e-mails and the CLI use the same functions). A code missing from `PLAIN` still reads as
words (underscores and dots become spaces), so a new code is never shown raw, only less well put.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PLAIN: dict[str, str] = {
    # referrals
    "draft": "draft",
    "pack_built": "evidence pack built",
    "sent": "sent to the police",
    "with_police": "with the police",
    "closed": "closed",
    "acknowledged": "acknowledged",
    "crime_recorded": "crime recorded",
    "under_investigation": "under investigation",
    "suspect_identified": "suspect identified",
    "no_further_action": "no further action",
    "charged": "charged",
    "caution": "caution",
    "community_resolution": "community resolution",
    "words_of_advice": "words of advice",
    "withdrawn": "withdrawn",
    # moderation: item states, actions, reporters
    "ingested": "not reported",
    "assessed": "assessed, not reported",
    "reported": "reported, awaiting review",
    "claimed": "under review",
    "escalated": "escalated to a senior moderator",
    "decided": "decided",
    "appealed": "appealed",
    "appeal_decided": "appeal decided",
    "under_review": "under review",
    "received": "received",
    "no_action": "no action",
    "label": "labelled",
    "hide": "hidden",
    "remove": "removed",
    "restrict_account": "account restricted",
    "suspend_account": "account suspended",
    "block_account": "account blocked",
    "trusted_flagger": "trusted flagger",
    "automated": "automated detection",
    # detector labels
    "threat": "threat",
    "sexual_harassment": "sexual harassment",
    "identity_hate": "identity hate",
    "abuse": "abuse",
    "doxxing": "doxxing (private details)",
    # protection
    "shield_unknown_account": "held by the shield: an account that has not written before",
    "shield_new_account": "held by the shield: a newly created account",
    "shield_hostile": "held by the shield: hostile",
    "unknown_account": "only accounts you know reach your inbox",
    "blocked_account": "from an account you blocked",
    "muted_account": "from an account you muted",
    "hidden_word": "contains a word you hid",
    "delivered": "delivered",
    "held": "held for review",
    "hidden": "hidden",
    "open": "open",
    # accounts
    "active": "active",
    "disabled": "disabled",
    "expired": "expired",
    "revoked": "revoked",
    "account.disabled": "account disabled",
    "account.enabled": "account enabled",
    "account.password_changed": "password changed by the user",
    "account.password_reset": "password reset by an admin",
    "account.token_issued": "API token issued",
    "account.token_revoked": "API token revoked",
    "account.roles_changed": "roles changed",
    "account.second_factor_enrolled": "second factor set up",
    "account.second_factor_reset": "second factor removed by an admin",
    "account.recovery_codes_issued": "recovery codes issued",
    "account.recovery_code_used": "recovery code used",
    # event kinds shown on timelines (the console item, an incident)
    "message.ingested": "received from the platform",
    "message.assessed": "assessed by the detector",
    "message.edited": "edited at source",
    "message.deleted_at_source": "deleted at source",
    "report.filed": "reported",
    "item.claimed": "claimed",
    "item.released": "released",
    "item.skipped": "skipped",
    "item.skip_undone": "skip undone",
    "item.escalated": "escalated to a senior moderator",
    "item.escalation_withdrawn": "escalation withdrawn",
    "decision.made": "decided",
    "appeal.filed": "appealed",
    "appeal.decided": "appeal decided",
    "clock.breached": "review clock breached",
    "cluster.joined": "joined a cluster of near-duplicates",
    "note.added": "note added",
    "incident.opened": "pile-on opened",
    "incident.message_added": "more messages joined",
    "incident.acted": "acted on",
    "incident.closed": "pile-on closed",
    "pile_on": "pile-on",
    "upheld": "upheld",
    "reversed": "reversed",
    # complaint case history (the kind's own words: `assessed` here is not a message's)
    "complaint.acknowledged": "acknowledged",
    "complaint.appeal_decided": "appeal decided",
    "complaint.appealed": "appealed",
    "complaint.assessed": "assessed",
    "complaint.assigned": "assigned",
    "complaint.audit_finding": "audit finding",
    "complaint.charged": "charged",
    "complaint.closed": "closed",
    "complaint.commented": "commented",
    "complaint.communicated": "message sent to a party",
    "complaint.decided": "decided",
    "complaint.erased": "erased",
    "complaint.filed": "received",
    "complaint.hearing_opened": "hearing opened",
    "complaint.objection_decided": "objection decided",
    "complaint.objection_raised": "objection raised",
    "complaint.referred_joint": "referred to the joint panel",
    "complaint.survey_answered": "survey answered",
    "complaint.survey_sent": "survey sent",
    # roles
    "senior_moderator": "senior moderator",
    "police_liaison": "police liaison",
    "complaints_handler": "complaints handler",
}

REPORTERS: dict[str, str] = {
    "target": "the person targeted",
    "delegate": "their delegate",
    "user": "a user (a notice)",
    "trusted_flagger": "a trusted flagger",
    "automated": "the detector",
}
"""Who reported, as a phrase: "reported by the person targeted"."""


def reporter(kind: object) -> str:
    text = str(getattr(kind, "value", kind))
    return REPORTERS.get(text, plain(text))


_TRAILING_NUMBER = re.compile(r"^(?P<code>[a-z][a-z0-9_.]*)\s+(?P<count>\d+)$")


def plain(code: object) -> str:
    """The words for a code; an unknown code with its underscores and dots read as spaces.

    ``"shield_unknown_account 4"`` (a code with a count, as reasons are tallied) reads
    ``"held by the shield: an account that has not written before (4)"``.
    """
    if code is None:
        return ""
    text = str(getattr(code, "value", code))
    if text in PLAIN:
        return PLAIN[text]
    counted = _TRAILING_NUMBER.match(text)
    if counted:
        return f"{plain(counted['code'])} ({counted['count']})"
    if re.fullmatch(r"[a-z][a-z0-9_.]*", text):
        return text.replace("_", " ").replace(".", ": ")
    return text


_zone: ZoneInfo = ZoneInfo("Europe/London")


def set_zone(name: str) -> None:
    """The time zone the interface shows times in (`Settings.timezone`, read once by `create_app`)."""
    global _zone
    _zone = ZoneInfo(name)


def zone() -> ZoneInfo:
    """The time zone the interface shows times in."""
    return _zone


def zone_name() -> str:
    """The time zone's name, for the hint beside a field that takes a local time: ``Europe/London``."""
    return _zone.key


def from_local(text: str) -> datetime:
    """The UTC moment a ``datetime-local`` field names: the time as typed, read on the local clock
    (as every page shows times), so 14:00 in June in London is 13:00 UTC. A value that carries
    its own offset keeps it. Raises ValueError for anything unreadable, and for a time the local
    clock skipped when it went forward (it names no moment)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    located = moment.replace(tzinfo=_zone)
    found = located.astimezone(UTC)
    if found.astimezone(_zone).replace(tzinfo=None) != moment:
        raise ValueError(f"{text.strip()} does not exist in {_zone.key}: the clocks went forward")
    return found


def _as_datetime(value: object) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def when(value: object, seconds: bool = False) -> str:
    """A moment as people read it, in local time: ``8 Dec 2026, 18:23``; a date alone: ``8 Dec 2026``.

    ``seconds=True`` adds the seconds (``8 Dec 2026, 18:23:05``), for a chain of custody.
    A naive datetime is taken as UTC (what Hustings stores). Anything unreadable is shown as given.
    """
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if not isinstance(moment, datetime):
        return f"{moment.day} {moment:%b %Y}"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(_zone)
    return f"{local.day} {local:%b %Y, %H:%M:%S}" if seconds else f"{local.day} {local:%b %Y, %H:%M}"


def day(value: object) -> str:
    """The date alone, in local time: ``8 Dec 2026``."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(_zone)
    return f"{moment.day} {moment:%b %Y}"


FILTERS = {"plain": plain, "when": when, "day": day, "reporter": reporter}
"""The template filters every Jinja environment that renders for people registers: the web
pages' and the standalone transparency report's."""
