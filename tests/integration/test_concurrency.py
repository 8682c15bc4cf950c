"""A small team at once against a served app: real threads, real HTTP, uvicorn on loopback.

On the embedded SQLite default, 16 clients mixing reads, ingest, reports and decisions get no
5xx and every read is in the access log; two moderators deciding one item at the same moment get
one 201 and one 409, on SQLite and on PostgreSQL. Each client makes a fixed number of requests.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hustings.auth.model import Role
from hustings.storage.tables import AccessLogRow
from tests.conftest import LiveServer, sample_message, scratch_database

CLIENTS = 16
REQUESTS_EACH = 12
RACES_PER_PAIR = 4
WAIT = 60.0  # seconds a thread waits for the others at a barrier before the test fails
TEXTS = [
    "Your housing policy is a disgrace and you should resign.",
    "Why did you vote against the bus lane on Thursday?",
    "The surgery was cancelled again, people in Fenmarsh deserve better.",
    "I hope you lose your seat, you useless liar.",
    "Thanks for coming to the school fair, the kids loved it.",
]


@dataclass
class Team:
    server: LiveServer
    tokens: dict[str, str]
    message_ids: list[str]


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    authenticated_gets: int = 0
    races: dict[str, list[int]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if method == "GET" and response.status_code < 400:
                self.authenticated_gets += 1
            if response.status_code >= 500:
                self.failures.append(f"{method} {path}: {response.status_code} {response.text[:200]}")


def _serve(data_dir: Path, **settings: Any) -> Iterator[Team]:
    server = LiveServer(data_dir, **settings).start()
    try:
        services = server.services()
        tokens = {}
        for name, role in [
            ("ingester", Role.ADMIN),
            ("flagger", Role.FLAGGER),
            ("reader", Role.TRIAGE),
            *[(f"mod{i}", Role.MODERATOR) for i in range(4)],
        ]:
            user = services.users.create(name, {role}, now=services.clock.now())
            tokens[name] = services.users.issue_token(user.id, now=services.clock.now(), expires_at=None)
        seeds = [sample_message(f"seed{i}", text=f"Message {i}: {TEXTS[i % len(TEXTS)]}") for i in range(80)]
        ids = services.ingest(seeds, actor="system").ids
        services.session.commit()
        services.session.close()
        yield Team(server, tokens, ids)
    finally:
        server.stop()


@pytest.fixture
def sqlite_team(tmp_path: Path) -> Iterator[Team]:
    yield from _serve(tmp_path)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_team(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Team]:
    if request.param == "sqlite":
        yield from _serve(tmp_path)
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    with scratch_database(postgres_url, f"hustings_concurrency_{os.getpid()}") as url:
        yield from _serve(tmp_path, database_url=url)


def _client(team: Team, name: str) -> httpx.Client:
    return httpx.Client(
        base_url=team.server.url,
        headers={"Authorization": f"Bearer {team.tokens[name]}", "accept": "application/json"},
        timeout=60.0,
    )


def _decide(client: httpx.Client, message_id: str) -> httpx.Response:
    return client.post(
        "/v1/decisions", json={"message_id": message_id, "action": "remove", "policy_rule": "T1"}
    )


def _run(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except BaseException as error:  # a dropped connection or a barrier timeout fails the test
                errors.append(error)

        return run

    threads = [threading.Thread(target=guarded(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=WAIT * 4)
    assert not any(thread.is_alive() for thread in threads), "a client thread did not finish"
    return errors


def test_sixteen_clients_mixing_reads_ingest_and_decisions_on_sqlite_get_no_5xx(sqlite_team: Team) -> None:
    team = sqlite_team
    tally = Tally()
    start = threading.Barrier(CLIENTS, timeout=WAIT)
    # Moderators 0 and 1 race for the same items, as do 2 and 3; the rest are theirs alone.
    race_items = team.message_ids[: 2 * RACES_PER_PAIR]
    own_items = iter(team.message_ids[2 * RACES_PER_PAIR :])
    pair_barriers = [threading.Barrier(2, timeout=WAIT) for _ in range(2)]
    fresh = itertools.count()
    fresh_lock = threading.Lock()

    def reader(name: str) -> Callable[[], None]:
        def work() -> None:
            with _client(team, name) as client:
                start.wait()
                paths = itertools.cycle(
                    [
                        "/v1/queues",
                        "/v1/queues/unreviewed/items",
                        f"/v1/items/{team.message_ids[-1]}",
                        "/console",
                        "/console/queues/unreviewed",
                        f"/v1/messages/{team.message_ids[0]}",
                    ]
                )
                for path in itertools.islice(paths, REQUESTS_EACH):
                    tally.add("GET", path, client.get(path))

        return work

    def ingester() -> None:
        with _client(team, "ingester") as client:
            start.wait()
            for _ in range(REQUESTS_EACH // 2):
                with fresh_lock:
                    batch = [
                        sample_message(f"load{n}", text=f"Load {n}: {TEXTS[n % len(TEXTS)]}")
                        for n in itertools.islice(fresh, 5)
                    ]
                response = client.post("/v1/messages", json={"messages": batch})
                tally.add("POST", "/v1/messages", response)
                assert response.status_code >= 500 or response.json()["accepted"] == 5
                tally.add("GET", "/v1/queues", client.get("/v1/queues"))

    def reporter() -> None:
        with _client(team, "flagger") as client:
            start.wait()
            for message_id in team.message_ids[-REQUESTS_EACH:]:
                response = client.post("/v1/reports", json={"message_id": message_id, "category": "abuse"})
                tally.add("POST", "/v1/reports", response)

    def moderator(index: int) -> Callable[[], None]:
        pair = pair_barriers[index // 2]
        contested = race_items[(index // 2) * RACES_PER_PAIR : (index // 2 + 1) * RACES_PER_PAIR]

        def work() -> None:
            with _client(team, f"mod{index}") as client:
                start.wait()
                for message_id in contested:
                    pair.wait()
                    response = _decide(client, message_id)
                    tally.add("POST", "/v1/decisions", response)
                    with tally.lock:
                        tally.races.setdefault(message_id, []).append(response.status_code)
                    with tally.lock:
                        mine = next(own_items)
                    tally.add("POST", "/v1/decisions", _decide(client, mine))
                    tally.add("GET", f"/v1/items/{mine}", client.get(f"/v1/items/{mine}"))

        return work

    readers = [reader("reader") for _ in range(CLIENTS - 4 - 2 - 2)]
    workers = [*readers, ingester, ingester, reporter, reporter, *[moderator(i) for i in range(4)]]
    assert len(workers) == CLIENTS
    errors = _run(workers)

    assert errors == []
    assert tally.failures == []
    assert sum(tally.statuses.values()) > CLIENTS * 10
    assert {message_id: sorted(codes) for message_id, codes in tally.races.items()} == {
        message_id: [201, 409] for message_id in race_items
    }
    team.server.app.state.access_log.flush()
    with team.server.services().session as session:
        logged = session.scalar(
            select(func.count()).select_from(AccessLogRow).where(AccessLogRow.action == "view")
        )
    assert logged == tally.authenticated_gets, "every read is in the access log, none lost under load"


def test_the_loser_of_a_race_to_decide_gets_409(any_team: Team) -> None:
    team = any_team
    races: dict[str, list[int]] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=WAIT)
    contested = team.message_ids[:10]

    def moderator(name: str) -> Callable[[], None]:
        def work() -> None:
            with _client(team, name) as client:
                for message_id in contested:
                    barrier.wait()
                    status = _decide(client, message_id).status_code
                    with lock:
                        races.setdefault(message_id, []).append(status)

        return work

    assert _run([moderator("mod0"), moderator("mod1")]) == []
    assert {message_id: sorted(codes) for message_id, codes in races.items()} == {
        message_id: [201, 409] for message_id in contested
    }
