"""The metadata of every table, for Alembic: importing each concept's tables registers them."""

from __future__ import annotations

import importlib
import pkgutil

import hustings.storage
from hustings.storage.tables import Base

# Concept modules keep their tables in hustings/storage/<concept>_tables.py; import them all.
for _module in pkgutil.iter_modules(hustings.storage.__path__):
    if _module.name.endswith("_tables"):
        importlib.import_module(f"hustings.storage.{_module.name}")

target_metadata = Base.metadata
