"""`hustings connect bluesky|mastodon|imap`: follow a platform live, batch by batch, resuming
from the position kept in the database; `hustings connect status` shows where each has got to.

    hustings connect bluesky [--url wss://jetstream2.us-east.bsky.network/subscribe] [--once]
    HUSTINGS_MASTODON_ACCESS_TOKEN=... hustings connect mastodon --server https://fenmarsh.social
    HUSTINGS_IMAP_PASSWORD=... hustings connect imap --host mail.example --user office [--folder Junk ...]
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Annotated, Any

import typer
from sqlalchemy import Engine

from hustings.cli.common import cli_errors, err, fail, load_settings, out, ready_engine, unit_of_work
from hustings.cli.sources import store_batch
from hustings.connectors.bluesky import DEFAULT_URL, JetstreamSource, target_dids
from hustings.connectors.follow import Batches, Commit, Follower, LiveSource, Progress
from hustings.connectors.imap import Followed, ImapFollower, ImapSource, Mailbox, Security, is_loopback
from hustings.connectors.mastodon import MastodonSource
from hustings.messages.changes import ChangeResult
from hustings.messages.ingest import IngestResult
from hustings.settings import Settings
from hustings.sources import Changed, Converted

connect_app = typer.Typer(help="Follow a platform live and ingest what it sends.", no_args_is_help=True)

Once = Annotated[
    bool, typer.Option("--once", help="Stop once the source falls quiet (caught up), instead of following.")
]
Idle = Annotated[
    float,
    typer.Option("--idle", help="With --once: seconds without a frame that count as caught up.", min=0.1),
]
Batch = Annotated[int, typer.Option("--batch", help="Records to a transaction, at most.", min=1, max=5000)]


def register(app: typer.Typer) -> None:
    app.add_typer(connect_app, name="connect")


def _commit(settings: Settings, engine: Engine, connector: str) -> Commit:
    def commit(
        batch: list[Converted], changed: list[Changed], position: str | None
    ) -> tuple[IngestResult, ChangeResult]:
        with unit_of_work(settings, engine) as services:
            stored = store_batch(services, batch, changed)
            if position is not None:
                services.cursors.record(connector, position, services.clock.now())
        return stored

    return commit


def _status(progress: Progress) -> None:
    err.print(progress.line(), markup=False, soft_wrap=True)


def _run_loop(main: Callable[..., Coroutine[Any, Any, Progress]]) -> Progress:
    """Run the follower's loop, stopping cleanly on SIGINT or SIGTERM.

    Where the caller already runs an event loop on this thread (a notebook, or Playwright's sync
    API in the test suite), ours runs on a thread of its own, where signals cannot be caught.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main(signals=True))
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(main(signals=False))).result()


def _follow(source: LiveSource, settings: Settings, *, once: bool, idle: float, batch: int) -> None:
    engine = ready_engine(settings)
    with unit_of_work(settings, engine) as services:
        position = services.cursors.position(source.connector)
        converter = source.format.converter(services.targets.all())
    follower = Follower(
        source,
        converter,
        _commit(settings, engine, source.connector),
        position,
        batch_size=batch,
        idle_seconds=idle,
        flush_seconds=min(1.0, idle),
        report=_status,
    )

    async def main(*, signals: bool) -> Progress:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        if signals:
            for number in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(number, stop.set)
        try:
            return await follower.run(stop, once=once)
        finally:
            if signals:
                for number in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(number)

    try:
        progress = _run_loop(main)
    finally:
        engine.dispose()
    _summarise(progress)


def _summarise(*progresses: Progress) -> None:
    """Each connector's summary (an IMAP run has one per folder); exit 1 where any rejected one."""
    for progress in progresses:
        tally = progress.tally
        for where, error in tally.rejected:
            err.print(f"{where}: {error}", markup=False)
        out.print(progress.line(), markup=False, soft_wrap=True)
        if tally.skipped:
            reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(tally.skipped.items()))
            out.print(f"skipped: {reasons}", markup=False, soft_wrap=True)
    if any(progress.tally.rejected for progress in progresses):
        raise typer.Exit(1)  # as `hustings ingest` does: the good records beside are stored


@connect_app.command("bluesky")
@cli_errors
def bluesky(
    url: Annotated[str, typer.Option(help="Jetstream's subscribe address.")] = DEFAULT_URL,
    did: Annotated[
        list[str] | None,
        typer.Option("--did", help="A DID to follow besides the register's; repeat for several."),
    ] = None,
    once: Once = False,
    idle: Idle = 3.0,
    batch: Batch = 100,
) -> None:
    """Follow Bluesky posts by the registered targets' DIDs through Jetstream."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        dids = list(dict.fromkeys([*target_dids(services.targets.all()), *(did or [])]))
    if not dids:
        raise fail("no DID to follow: register a target's DID (--handle bluesky:did:plc:...) or give --did")
    _follow(JetstreamSource(url, dids), settings, once=once, idle=idle, batch=batch)


@connect_app.command("mastodon")
@cli_errors
def mastodon(
    server: Annotated[str, typer.Option(help="The target's server, e.g. https://fenmarsh.social.")],
    once: Once = False,
    idle: Idle = 3.0,
    batch: Batch = 100,
) -> None:
    """Follow a target's own Mastodon account: its mentions, streamed and polled."""
    settings = load_settings()
    if settings.mastodon_access_token is None:
        raise fail("HUSTINGS_MASTODON_ACCESS_TOKEN is not set (a token with read:notifications)")
    if not server.startswith(("https://", "http://")):
        raise fail(f"--server {server}: give the server's web address, e.g. https://{server}")
    _follow(
        MastodonSource(server, settings.mastodon_access_token), settings, once=once, idle=idle, batch=batch
    )


@connect_app.command("imap")
@cli_errors
def imap(
    host: Annotated[str, typer.Option(help="The IMAP server, e.g. mail.priyaraman.example.")],
    user: Annotated[str, typer.Option(help="The mailbox's login name.")],
    folder: Annotated[
        list[str] | None,
        typer.Option(
            "--folder",
            help="A folder to follow (INBOX by default); repeat for several, e.g. --folder INBOX --folder Junk.",
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="The server's port (993 with tls, else 143).", min=1, max=65535)
    ] = None,
    security: Annotated[
        str,
        typer.Option(help="tls (implicit TLS), starttls, or none (only to a server on this machine)."),
    ] = "tls",
    once: Once = False,
    idle: Idle = 3.0,
    batch: Batch = 100,
) -> None:
    """Follow an office's mailbox: each new message, read as `ingest --format eml` reads one."""
    settings = load_settings()
    if settings.imap_password is None:
        raise fail("HUSTINGS_IMAP_PASSWORD is not set (the mailbox's password)")
    if security not in ("tls", "starttls", "none"):
        raise fail(f"--security {security}: give tls, starttls or none")
    mode: Security = "tls" if security == "tls" else "starttls" if security == "starttls" else "none"
    if mode == "none" and not is_loopback(host):
        raise fail(f"--security none: the password would cross the network in clear to {host}; use tls")
    # INBOX is one folder however it is spelt (RFC 3501): one cursor for it, not one per spelling.
    folders = dict.fromkeys("INBOX" if name.upper() == "INBOX" else name for name in folder or ["INBOX"])
    if "" in folders:
        raise fail("--folder: give a folder's name, e.g. INBOX or Junk")
    mailbox = Mailbox(host, user, settings.imap_password, port, "INBOX", mode, settings.imap_ca_file)
    sources = [ImapSource(replace(mailbox, folder=name)) for name in folders]
    engine = ready_engine(settings)
    try:
        with unit_of_work(settings, engine) as services:
            positions = [services.cursors.position(source.connector) for source in sources]
            converter = sources[0].format.converter(services.targets.all())
        followed = [
            Followed(
                source,
                Batches(
                    source, converter, _commit(settings, engine, source.connector), position, batch, _status
                ),
            )
            for source, position in zip(sources, positions, strict=True)
        ]
        follower = ImapFollower(followed, idle_seconds=idle, report=_status)
        progresses = _run_stoppable(lambda stop: follower.run(stop, once=once))
    finally:
        engine.dispose()
    _summarise(*progresses)


def _run_stoppable(main: Callable[[threading.Event], list[Progress]]) -> list[Progress]:
    """Run a blocking follower, stopping it cleanly on SIGINT or SIGTERM where this is the main
    thread (elsewhere signals cannot be caught)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return main(stop)
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    for number in previous:
        signal.signal(number, lambda *_: stop.set())
    try:
        return main(stop)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


@connect_app.command("status")
@cli_errors
def status() -> None:
    """Where each connector has read its source up to."""
    settings = load_settings()
    with unit_of_work(settings) as services:
        cursors = services.cursors.all()
    if not cursors:
        out.print("no connector has run", markup=False)
    for connector, position, at in cursors:
        out.print(f"{connector}: position {position}, recorded {at.isoformat()}", markup=False)
