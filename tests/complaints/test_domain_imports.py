"""The complaints domain imports neither SQLAlchemy nor FastAPI."""

from __future__ import annotations

import subprocess
import sys


def test_the_domain_imports_neither_the_orm_nor_the_web_framework() -> None:
    modules = ["model", "code", "events", "service", "memory", "figures"]
    code = (
        "import sys\n"
        + "".join(f"import hustings.complaints.{m}\n" for m in modules)
        + "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'starlette') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
