"""Fictional demo data: candidates, staff, users for every role and messages of every kind.

Every name, handle, address and message here is invented. Loading twice changes nothing.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from hustings.auth.model import Role
from hustings.events import SYSTEM_ACTOR
from hustings.services import Services
from hustings.targets.model import TargetRole

TARGETS: list[dict[str, Any]] = [
    {
        "id": "t_demo_priya",
        "name": "Priya Raman",
        "role": TargetRole.CANDIDATE,
        "party": "Labour",
        "constituency": "Fenmarsh and Ashby",
        "handles": [
            ("x", "priyaraman4fenmarsh"),
            ("bluesky", "priyaraman.bsky.social"),
            ("email", "priya@example.org"),
        ],
    },
    {
        "id": "t_demo_tom",
        "name": "Tom Whitlock",
        "role": TargetRole.MP,
        "party": "Conservative",
        "constituency": "Harrowdale North",
        "handles": [("x", "tomwhitlockmp")],
    },
    {
        "id": "t_demo_aisha",
        "name": "Aisha Okafor",
        "role": TargetRole.COUNCILLOR,
        "party": "Green",
        "constituency": "Riverside ward, Kelbridge",
        "handles": [("x", "cllraishaokafor"), ("bluesky", "aishaokafor.bsky.social")],
    },
    {
        "id": "t_demo_gareth",
        "name": "Gareth Price",
        "role": TargetRole.CANDIDATE,
        "party": "Liberal Democrat",
        "constituency": "Cwm Tawel",
        "handles": [("x", "garethprice_ld")],
    },
]

USERS: list[tuple[str, str, set[Role], tuple[str, ...]]] = [
    ("admin", "Demo administrator", {Role.ADMIN}, ()),
    ("moderator", "Sam (moderator)", {Role.MODERATOR}, ()),
    ("senior", "Jo (senior moderator)", {Role.MODERATOR, Role.TRIAGE}, ()),
    ("triage", "Alex (triage)", {Role.TRIAGE}, ()),
    ("flagger", "Election pop-up team", {Role.FLAGGER}, ()),
    ("priya", "Priya Raman", {Role.TARGET}, ("t_demo_priya",)),
    ("agent", "Dan (Priya's agent)", {Role.DELEGATE}, ("t_demo_priya",)),
    ("police", "PC Morgan (police liaison)", {Role.POLICE_LIAISON}, ()),
    ("analyst", "Ruth (analyst)", {Role.ANALYST}, ()),
    ("complaints", "Complaints officer", {Role.COMPLAINTS_OFFICER}, ()),
]

# (kind, author handle, followers, account age in days, target handle, text)
MESSAGES: list[tuple[str, str, int, int, str, str]] = [
    (
        "criticism",
        "fenmarsh_voter",
        412,
        2100,
        "priyaraman4fenmarsh",
        "Your housing plan is a shambles and you know it. Fenmarsh deserves better than recycled promises.",
    ),
    (
        "criticism",
        "ashby_dad",
        88,
        1500,
        "priyaraman4fenmarsh",
        "Voted against the bypass again? Utterly spineless. You won't get my vote.",
    ),
    (
        "criticism",
        "kelbridge_kate",
        950,
        3000,
        "tomwhitlockmp",
        "Resign. You have failed this constituency on every count, and the hospital closure is on you.",
    ),
    (
        "criticism",
        "policywonk",
        2300,
        4000,
        "tomwhitlockmp",
        "Oh brilliant, another tax cut for landlords. Truly the champion of the people 🙄",
    ),
    (
        "support",
        "riverside_mum",
        130,
        900,
        "cllraishaokafor",
        "Thank you for fighting for the library. The whole street is behind you.",
    ),
    (
        "support",
        "cwm_tawel_teacher",
        301,
        2500,
        "garethprice_ld",
        "Great answers at the hustings last night, Gareth. Good luck on Thursday.",
    ),
    (
        "counter_speech",
        "decent_neighbour",
        740,
        2800,
        "priyaraman4fenmarsh",
        "Someone in the replies called Priya a 'dirty foreigner'. That is disgusting and I've reported it. Disagree on policy, never like that.",
    ),
    (
        "news",
        "kelbridge_echo",
        15000,
        5000,
        "cllraishaokafor",
        "Police are investigating threats made against a Kelbridge councillor, the council confirmed on Tuesday.",
    ),
    (
        "threat",
        "nightwatch_88",
        3,
        4,
        "priyaraman4fenmarsh",
        "Watch your back Priya. We know which way you walk home from the station.",
    ),
    (
        "threat",
        "truth_seeker_1990",
        12,
        20,
        "tomwhitlockmp",
        "You'll end up like Jo Cox if you keep this up.",
    ),
    (
        "threat",
        "anon55231",
        0,
        1,
        "cllraishaokafor",
        "See you at your surgery on Friday. Hope you've said goodbye to your kids.",
    ),
    (
        "doxxing",
        "leaky_bucket",
        5,
        9,
        "priyaraman4fenmarsh",
        "Priya lives at 14 Orchard Close, FN4 7QT. Her daughter goes to St Anne's Primary. Pay her a visit.",
    ),
    (
        "sexual_harassment",
        "lad_account_77",
        2,
        3,
        "cllraishaokafor",
        "Bet you'd shut up if I got you alone. Send pics instead of policies.",
    ),
    (
        "identity_hate",
        "pure_blood_uk",
        9,
        30,
        "priyaraman4fenmarsh",
        "Go back to where you came from. People like you should never stand for Parliament.",
    ),
    (
        "identity_hate",
        "real_values_only",
        14,
        60,
        "garethprice_ld",
        "Nobody wants a gay Welsh clown representing them. Your kind is a disease.",
    ),
    (
        "abuse",
        "angry_taxpayer_99",
        40,
        400,
        "tomwhitlockmp",
        "You are a worthless, pathetic excuse for a human being. Crawl back under your rock.",
    ),
    (
        "abuse",
        "no_filter_nigel",
        61,
        700,
        "garethprice_ld",
        "Absolute moron. Thick as mince and twice as useless.",
    ),
]

PILE_ON_TEXT = "Traitor Priya. Everyone knows where you live. Get out of Fenmarsh before someone makes you."


def _message(
    index: int, kind: str, handle: str, followers: int, age_days: int, target: str, text: str, now: Any
) -> dict[str, Any]:
    sent = now - timedelta(hours=len(MESSAGES) - index)
    return {
        "source": "x",
        "external_id": f"demo-{index:04d}",
        "text": text,
        "created_at": sent.isoformat(),
        "author": {
            "id": f"demo-author-{handle}",
            "handle": f"@{handle}",
            "created_at": (now - timedelta(days=age_days)).isoformat(),
            "followers": followers,
        },
        "targets": [f"@{target}"],
        "url": f"https://x.example/{handle}/status/demo-{index:04d}",
        "lang": "en",
    }


def logins(password: str) -> list[str]:
    """A line per demo user: the name to log in with, their roles in words and the password."""
    from hustings.wording import plain

    width = max(len(name) for name, *_ in USERS)
    return [
        f"{name:<{width}}  password {password!r}  {', '.join(plain(r.value) for r in sorted(roles))}"
        f" ({display})"
        for name, display, roles, _ in USERS
    ]


def load_demo(services: Services, *, password: str) -> list[str]:
    """Load the demo data into `services`' transaction; return a summary, a line per kind."""
    now = services.clock.now()
    created_targets = 0
    for spec in TARGETS:
        if services.targets.get(spec["id"]) is None:
            services.targets.create(
                target_id=spec["id"],
                name=spec["name"],
                role=spec["role"],
                party=spec["party"],
                constituency=spec["constituency"],
                handles=spec["handles"],
                now=now,
            )
            created_targets += 1
    created_users = 0
    for name, display, roles, targets in USERS:
        if services.users.by_name(name) is None:
            services.users.create(
                name, roles, now=now, display_name=display, password=password, target_ids=targets
            )
            created_users += 1
    raw = [_message(i, *spec, now=now) for i, spec in enumerate(MESSAGES)]
    pile_on_start = now - timedelta(minutes=50)
    for n in range(40):
        raw.append(
            {
                "source": "x",
                "external_id": f"demo-pileon-{n:03d}",
                "text": PILE_ON_TEXT
                if n % 3
                else PILE_ON_TEXT.replace("Traitor", "TRAITOR").replace(".", "!"),
                "created_at": (pile_on_start + timedelta(seconds=70 * n)).isoformat(),
                "author": {
                    "id": f"demo-pileon-author-{n}",
                    "handle": f"@patriot{4000 + n * 37}",
                    "created_at": (now - timedelta(days=1 + n % 5)).isoformat(),
                    "followers": n % 4,
                },
                "targets": ["@priyaraman4fenmarsh"],
                "in_reply_to": "demo-0000",
                "lang": "en",
            }
        )
    result = services.ingest(raw, actor=SYSTEM_ACTOR)
    decided = _moderate(services)
    notified = services.notifications.raise_due()
    return [
        f"{len(TARGETS)} protected people ({created_targets} new)",
        f"{len(USERS)} users, one for each role ({created_users} new): " + ", ".join(u[0] for u in USERS),
        f"{len(raw)} messages ({result.accepted} new, {result.duplicates} already there)",
        f"reports by Priya, her agent and the flagger; {decided} decisions by the moderator",
        f"{notified} notifications (the pile-on, the decisions on what was reported)",
    ]


# (message index in MESSAGES, reporter, reporter kind, category, claims illegal, note, action or None)
HUMAN_REPORTS: list[tuple[int, str, str, str, bool, str, str | None]] = [
    (11, "priya", "target", "doxxing", True, "This is my home address and my daughter's school.", "remove"),
    (
        8,
        "agent",
        "delegate",
        "threat",
        True,
        "Priya does walk home from the station. Please act fast.",
        "remove",
    ),
    (9, "flagger", "trusted_flagger", "threat", True, "Reference to the murder of Jo Cox.", "remove"),
    (16, "flagger", "trusted_flagger", "abuse", False, "", "label"),
    (1, "flagger", "trusted_flagger", "abuse", False, "Rude to the candidate.", "no_action"),
    (13, "agent", "delegate", "identity_hate", False, "Racist abuse of Priya.", None),
]


def _moderate(services: Services) -> int:
    """Human reports on some demo messages, and the moderator's decisions on most of them."""
    from hustings.errors import Conflict, DuplicateEvent
    from hustings.messages.model import message_id
    from hustings.moderation.decisions import DecisionRequest
    from hustings.moderation.events import Action, ReporterKind

    moderator = services.users.by_name("moderator")
    decided = 0
    for index, reporter_name, kind, category, illegal, note, action in HUMAN_REPORTS:
        reporter = services.users.by_name(reporter_name)
        if reporter is None or moderator is None:
            continue
        target_message = message_id("x", f"demo-{index:04d}")
        with contextlib.suppress(DuplicateEvent):  # reported on an earlier run of the demo
            services.moderation.file_report(
                message_id=target_message,
                reporter=reporter,
                reporter_kind=ReporterKind(kind),
                category=category,
                claims_illegal=illegal,
                note=note,
                idempotency_key=f"demo-report:{target_message}:{reporter.id}",
            )
        if action is None:
            continue
        rule, _ = services.moderation.suggested(services.moderation.item(target_message))
        try:
            services.moderation.decide(
                moderator=moderator,
                request=DecisionRequest(
                    message_id=target_message, action=Action(action), policy_rule=rule.id
                ),
            )
            decided += 1
        except Conflict:
            pass  # decided on an earlier run of the demo
    return decided
