"""`hustings targets` and `hustings protection`: bad input is one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hustings.cli.main import app

runner = CliRunner()


def test_register_shield_and_block_list_from_the_command_line(env: dict[str, str], tmp_path: Path) -> None:
    added = runner.invoke(
        app,
        ["targets", "add", "Aisha Okafor", "--role", "councillor", "--handle", "x:@Aisha", "--auto-shield"],
        env=env,
    )
    assert added.exit_code == 0, added.output
    target_id = added.stdout.strip().split()[-1]
    assert target_id.startswith("t_")
    listed = runner.invoke(app, ["targets", "list"], env=env)
    assert f"{target_id}\tAisha Okafor\tcouncillor\tx:@aisha" in listed.stdout
    on = runner.invoke(app, ["protection", "shield", target_id, "--on", "--days", "3"], env=env)
    assert on.exit_code == 0 and '"on": true' in on.stdout
    again = runner.invoke(app, ["protection", "shield", target_id, "--on"], env=env)
    assert again.exit_code == 2 and "already on" in again.stderr and "Traceback" not in again.output
    csv = tmp_path / "block.csv"
    csv.write_text("platform,handle\nx,@troll\nx\n")
    imported = runner.invoke(app, ["protection", "import-list", target_id, "blocked", str(csv)], env=env)
    assert imported.exit_code == 1
    assert "added 1, left out 1" in imported.stdout and "line 3:" in imported.stderr
    exported = runner.invoke(app, ["protection", "export-list", target_id, "blocked"], env=env)
    assert exported.stdout.splitlines()[1].startswith("x,troll,")
    swept = runner.invoke(app, ["protection", "sweep"], env=env)
    assert swept.exit_code == 0 and "closed 0 incidents, ended 0 shields" in swept.stdout


def test_bad_input_is_one_line(env: dict[str, str]) -> None:
    bad = runner.invoke(app, ["targets", "add", "X", "--role", "mp", "--handle", "nocolon"], env=env)
    assert bad.exit_code == 2 and "--handle" in bad.stderr and "Traceback" not in bad.output
    missing = runner.invoke(app, ["protection", "shield", "t_nobody"], env=env)
    assert missing.exit_code == 2 and "no target" in missing.stderr


def test_a_target_registered_from_the_command_line_keeps_its_nation(env: dict[str, str]) -> None:
    from hustings.settings import Settings
    from hustings.storage.database import make_engine, make_sessionmaker
    from hustings.storage.targets import TargetStore

    added = runner.invoke(
        app, ["targets", "add", "Rhian Evans", "--role", "mp", "--nation", "wales"], env=env
    )
    assert added.exit_code == 0, added.output
    target_id = added.stdout.strip().split()[-1]
    refused = runner.invoke(app, ["targets", "add", "X", "--role", "mp", "--nation", "cornwall"], env=env)
    assert refused.exit_code == 2 and "nation: 'cornwall'" in refused.stderr
    engine = make_engine(Settings(data_dir=Path(env["HUSTINGS_DATA_DIR"])).sqlalchemy_url)
    with make_sessionmaker(engine)() as session:
        target = TargetStore(session).get(target_id)
    engine.dispose()
    assert target is not None and (target.country, target.nation) == ("GB", "wales")
