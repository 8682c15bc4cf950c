"""Detector commands: `score` JSON Lines, `eval` against the peers, `train` a new model."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from hustings.cli.common import (
    cli_errors,
    err,
    fail,
    lines_with_progress,
    load_settings,
    parse_json_line,
    stdin_lines,
)
from hustings.settings import parse_thresholds

SCORE_BATCH = 256


def _repo_root() -> Path:
    """The checkout holding `training/`; training and evaluation run from a checkout, not a wheel."""
    root = Path(__file__).resolve().parents[3]
    if not (root / "training" / "train.py").is_file():
        raise fail("training/ is not beside this installation; run from a Hustings checkout")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def _parse(number: int, line: str) -> tuple[str | int, str]:
    """One input line -> (id, text); ValueError names what is wrong."""
    record = parse_json_line(line)
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object with 'id' and 'text'")
    if "id" not in record:
        raise ValueError("missing field 'id'")
    ident = record["id"]
    if not isinstance(ident, (str, int)) or isinstance(ident, bool):
        raise ValueError("field 'id' must be a string or an integer")
    text = record.get("text")
    if not isinstance(text, str):
        raise ValueError("field 'text' must be a string" if "text" in record else "missing field 'text'")
    return ident, text


def score_stream(
    source: Iterable[str],
    sink: TextIO,
    errors: TextIO,
    model_dir: Path | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> int:
    """Score JSONL `{"id","text"}` from `source` into `sink`, in input order; returns the count of bad lines."""
    from hustings.detect import load_detector

    detector = load_detector(model_dir, thresholds or None)
    bad = 0
    batch: list[tuple[str | int, str]] = []

    def flush() -> None:
        assessments = detector.assess([text for _, text in batch])
        for (ident, _), assessment in zip(batch, assessments, strict=True):
            payload: dict[str, Any] = {"id": ident, **assessment.to_json()}
            sink.write(json.dumps(payload, ensure_ascii=False) + "\n")
        sink.flush()
        batch.clear()

    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            batch.append(_parse(number, line))
        except ValueError as problem:
            bad += 1
            errors.write(f"error: line {number}: {problem}\n")
            continue
        if len(batch) >= SCORE_BATCH:
            flush()
    if batch:
        flush()
    return bad


def register(app: typer.Typer) -> None:
    """Add `score`, `eval` and `train` to the Hustings command line."""

    @app.command()
    @cli_errors
    def score(
        file: Annotated[
            str, typer.Argument(help='JSON Lines of {"id", "text"}, or - for standard input.')
        ] = "-",
        model_dir: Annotated[
            Path | None, typer.Option("--model-dir", help="A model folder other than the shipped one.")
        ] = None,
        threshold: Annotated[
            list[str] | None,
            typer.Option(
                "--threshold",
                metavar="LABEL=P",
                help="Flag LABEL at probability P instead of the model's threshold (repeatable; "
                "over HUSTINGS_DETECT_THRESHOLDS).",
            ),
        ] = None,
    ) -> None:
        """Score messages: JSON Lines in, one assessment per line out, in the same order."""
        thresholds = dict(load_settings().detect_thresholds)
        for item in threshold or []:
            try:
                thresholds.update(parse_thresholds(item))
            except ValueError as problem:
                raise fail(f"--threshold {item}: {problem}") from None
        if file == "-":
            bad = score_stream(stdin_lines(), sys.stdout, sys.stderr, model_dir, thresholds)
        else:
            path = Path(file)
            if not path.is_file():
                raise fail(f"{file}: no such file")
            with lines_with_progress(path, "scoring") as lines:  # a large file takes minutes
                bad = score_stream(lines, sys.stdout, sys.stderr, model_dir, thresholds)
        if bad:
            err.print(f"error: {bad} bad line(s) skipped", markup=False)
            raise typer.Exit(1)

    @app.command("eval")
    @cli_errors
    def evaluate(
        card: Annotated[
            Path | None, typer.Option(help="Model card to write the table into (default docs/model-card.md).")
        ] = None,
        peers: Annotated[bool, typer.Option(help="Also score alt-profanity-check and hatesonar.")] = True,
        limit: Annotated[int, typer.Option(help="At most this many rows per set (0: all).")] = 0,
    ) -> None:
        """Precision, recall, F1 and ROC-AUC per label on dev/test splits and our cases, beside the peers."""
        root = _repo_root()
        from training import evaluate as evaluation

        evaluation.main(card or root / "docs" / "model-card.md", peers_on=peers, limit=limit)

    @app.command()
    @cli_errors
    def train(
        out: Annotated[
            Path | None, typer.Option(help="Model folder to write (default: the shipped one).")
        ] = None,
        budget: Annotated[int, typer.Option(help="Training rows before augmentation.")] = 22000,
        epochs: Annotated[float, typer.Option(help="Passes over the training rows.")] = 1.0,
        seed: Annotated[int, typer.Option(help="Seed for sampling, templates and initialisation.")] = 13,
    ) -> None:
        """Fine-tune, export, quantise, calibrate and write the model folder (needs the `train` extra)."""
        _repo_root()
        try:
            from training import train as training
        except ImportError as error:
            raise fail(f"training needs the train extra (pip install -e '.[train]'): {error}") from None
        args = ["--budget", str(budget), "--epochs", str(epochs), "--seed", str(seed)]
        if out is not None:
            args += ["--out", str(out)]
        code = training.main(args)
        if code:
            raise typer.Exit(code)
