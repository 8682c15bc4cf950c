"""Reading the detector's hand-written test cases (golden/ and functional/ JSON Lines files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_cases(path: Path) -> list[dict[str, Any]]:
    """One dict per non-blank line, with "where" = "file:line" so a failure points at the case."""
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            row = json.loads(line)
            row["where"] = f"{path.name}:{number}"
            rows.append(row)
    return rows
