"""`hustings elections`: create, list and import a register from the command line; bad rows on
stderr by line and column, a summary on stdout, exit 1 when a row was left out."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hustings.cli.main import app
from tests.elections.conftest import FIRST, KELBRIDGE, NEWER, RIVERSIDE, row, with_row

runner = CliRunner()
CREATE = [
    "elections",
    "create",
    KELBRIDGE,
    "--name",
    "Kelbridge local election",
    "--notice",
    "2028-03-27",
    "--nominations",
    "2028-04-04",
    "--count",
    "2028-05-05",
]


def test_create_import_twice_and_import_a_newer_register(env: dict[str, str], tmp_path: Path) -> None:
    created = runner.invoke(app, CREATE, env=env)
    assert created.exit_code == 0, created.output
    assert "protected from 2028-03-26 23:00 to 2028-05-19 23:00 UTC" in " ".join(created.stdout.split())
    first, newer = tmp_path / "first.csv", tmp_path / "newer.csv"
    bad = row(
        FIRST,
        person_id="80001",
        person_name="Bad",
        election_id=KELBRIDGE,
        ballot_paper_id=RIVERSIDE,
        post_label="Riverside",
        seats_contested="two",
    )
    first.write_text(with_row(FIRST, bad))
    newer.write_text(NEWER)
    imported = runner.invoke(app, ["elections", "import-candidates", str(first)], env=env)
    assert imported.exit_code == 1
    assert imported.stderr.strip() == "line 13, seats_contested: 'two' is not a number of seats (1 to 100)"
    assert "created 11, updated 0, unchanged 0, withdrawn 0, rejected 1" in imported.stdout
    again = runner.invoke(app, ["elections", "import-candidates", str(first)], env=env)
    assert "created 0, updated 0, unchanged 11" in again.stdout and "0 events" in again.stdout
    later = runner.invoke(
        app, ["elections", "import-candidates", str(newer), "--election", KELBRIDGE], env=env
    )
    assert later.exit_code == 0, later.output
    assert "created 1, updated 2, unchanged 8, withdrawn 1, rejected 0" in later.stdout
    listed = runner.invoke(app, ["elections", "list"], env=env)
    assert listed.stdout.startswith(f"{KELBRIDGE}\t")
    assert listed.stdout.strip().endswith("\t4\tKelbridge local election")
    targets = runner.invoke(app, ["targets", "list"], env=env)
    assert (
        "Daniel Marsh\tcandidate\tbluesky:@danmarsh.bsky.social mastodon:@danmarsh@mastodon.scot x:@danielmarshkb"
        in targets.stdout
    )


def test_what_cannot_be_imported_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    not_utf8 = tmp_path / "latin1.csv"
    not_utf8.write_bytes("person_id,person_name\n1,Siân\n".encode("latin-1"))
    refused = runner.invoke(app, ["elections", "import-candidates", str(not_utf8)], env=env)
    assert refused.exit_code == 2 and "not UTF-8 text: byte 0xe2 on line 2" in refused.stderr
    assert "Traceback" not in refused.output
    missing = runner.invoke(app, ["elections", "import-candidates", str(tmp_path / "nope.csv")], env=env)
    assert missing.exit_code == 2 and "No such file" in missing.stderr
    register = tmp_path / "first.csv"
    register.write_text(FIRST)
    unknown = runner.invoke(
        app, ["elections", "import-candidates", str(register), "--election", "parl.2029-05-03"], env=env
    )
    assert unknown.exit_code == 2 and "no election 'parl.2029-05-03'" in unknown.stderr
    bad_id = runner.invoke(app, [*CREATE[:2], "kelbridge", *CREATE[3:]], env=env)
    assert bad_id.exit_code == 2 and "id: 'kelbridge' is not a Democracy Club id" in bad_id.stderr
