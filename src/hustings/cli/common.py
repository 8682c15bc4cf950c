"""What every command shares: settings, a database at the current schema, one-line errors."""

from __future__ import annotations

import functools
import getpass
import io
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ParamSpec, TextIO, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy import Engine

from hustings.errors import HustingsError
from hustings.services import Services
from hustings.settings import Settings
from hustings.storage.database import engine_from_settings, make_sessionmaker, transaction, upgrade

if TYPE_CHECKING:
    from hustings.stream.broker import Broker

P = ParamSpec("P")
R = TypeVar("R")

err = Console(stderr=True, highlight=False, soft_wrap=True)  # one error, one line, however long
out = Console(highlight=False)


@contextmanager
def lines_with_progress(path: Path, verb: str) -> Iterator[Iterator[str]]:
    """The file's lines, with a transient bar on stderr by bytes read (drawn only on a terminal)."""
    columns = (TextColumn(verb), BarColumn(), TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn())
    with (
        Progress(*columns, console=err, transient=True, redirect_stdout=False) as progress,
        path.open(encoding="utf-8", errors="surrogateescape") as handle,
    ):
        task = progress.add_task(verb, total=path.stat().st_size)

        def lines() -> Iterator[str]:
            for line in handle:
                progress.update(task, advance=len(line.encode("utf-8", "surrogateescape")))
                yield line

        yield lines()


def stdin_lines() -> TextIO:
    """Standard input as text whose bytes that are not UTF-8 reach `parse_json_line` to be named."""
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="surrogateescape")
    return sys.stdin


_UNDECODABLE = re.compile("[\udc80-\udcff]")


def parse_json_line(line: str) -> object:
    """One line of JSON Lines (or one JSON document), read as `lines_with_progress` and
    `stdin_lines` give it.

    Raises `ValueError` naming what is wrong: bytes that are not UTF-8, JSON that does not
    parse, nesting too deep to read, or an integer too long to convert.
    """
    line = line.removesuffix("\n").removesuffix("\r")  # a line's end is no part of its JSON
    undecodable = _UNDECODABLE.search(line)
    if undecodable:
        byte = ord(undecodable.group()) - 0xDC00
        row = line.count("\n", 0, undecodable.start()) + 1
        column = undecodable.start() - (line.rfind("\n", 0, undecodable.start()) + 1) + 1
        raise ValueError(f"not UTF-8 text: byte 0x{byte:02x} at {_place(row, column)}")
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON: {error.msg} at {_place(error.lineno, error.colno)}") from None
    except RecursionError:
        raise ValueError("not valid JSON here: nested too deeply to read") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise ValueError(f"not valid JSON here: {error}") from None


def _place(row: int, column: int) -> str:
    # A JSON Lines line is one row; a JSON document (`hustings ingest --format x-v2`) may be many.
    return f"column {column}" if row == 1 else f"line {row}, column {column}"


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one line on stderr and return the Exit to raise."""
    err.print(f"error: {message}", markup=False)
    return typer.Exit(code)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"HUSTINGS_{'_'.join(str(p) for p in item['loc']).upper()}: {item['msg']}"
            for item in error.errors()
        )
        raise fail(f"bad settings: {problems}") from None


def cli_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn expected failures into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except HustingsError as error:
            raise fail(str(error)) from None
        except OSError as error:
            raise fail(f"{error.filename or ''}: {error.strerror}".lstrip(": ")) from None

    return wrapper


def ready_engine(settings: Settings) -> Engine:
    """The configured database, upgraded to the newest schema (safe to repeat)."""
    engine = engine_from_settings(settings)
    try:
        upgrade(engine, progress=lambda line: err.print(line, markup=False))
    except Exception as error:  # a database we cannot reach or migrate is the user's to fix
        where = settings.database_kind
        raise fail(
            f"cannot open the {where} database: {type(error).__name__}: {error}".splitlines()[0]
        ) from None
    return engine


@contextmanager
def unit_of_work(settings: Settings, engine: Engine | None = None) -> Iterator[Services]:
    """Services over one transaction: committed if the block succeeds, rolled back otherwise.

    It opens as a writer, so beside a running server on SQLite it waits its turn for the lock.
    """
    factory = make_sessionmaker(engine or ready_engine(settings))
    with transaction(factory, writes=True) as session:
        yield Services(session=session, settings=settings, broker=cli_broker(settings))


_BROKERS: dict[str, Broker] = {}


def cli_broker(settings: Settings) -> Broker | None:
    """The command's one broker connection, where HUSTINGS_BROKER_URL is set."""
    if settings.broker_url is None:
        return None
    from hustings.stream.broker import Broker

    url = settings.broker_url.get_secret_value()
    if url not in _BROKERS:
        _BROKERS[url] = Broker(settings)
    return _BROKERS[url]


TokenDays = Annotated[
    int | None,
    typer.Option(
        "--days", help="Days the API token lives (default: HUSTINGS_TOKEN_DAYS, 90).", min=1, max=3650
    ),
]


def cli_actor() -> str:
    """Who acts from the shell, for the event log: ``cli:<login name>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name in this environment (e.g. a container's uid)
        return "cli"


def echo_err(message: str) -> None:
    print(message, file=sys.stderr)
