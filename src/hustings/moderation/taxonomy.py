"""The EU DSA Transparency Database's lists, kept as data beside the version they match.

`dsa/taxonomy.json` holds the statement categories and their keywords (Implementing Regulation
(EU) 2024/2835, in force in the database since 1 July 2025) with the names it removed and what
replaced each; `dsa/iso639-1.txt` the language codes `content_language` takes; and the EEA states a
`territorial_scope` may name. When the database
changes its lists, the change is to these files. The statement validator
(`hustings.moderation.reasons`) and the policy check (`hustings.moderation.policy`) both read
them through `TAXONOMY`, so the two cannot disagree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).with_name("dsa")


@dataclass(frozen=True)
class Taxonomy:
    """The categories and keywords of one version of the database's lists."""

    version: str
    in_force_from: str
    categories: dict[str, tuple[str, ...]]
    """Each category with the keywords (`category_specification`) listed under it."""
    any_category_keywords: frozenset[str]
    removed: dict[str, str]
    """A name the database no longer takes, with the one that replaced it."""
    languages: frozenset[str]
    countries: frozenset[str]
    """The EEA member states a `territorial_scope` may name (ISO 3166-1 alpha-2, Greece as `GR`)."""

    @property
    def keywords(self) -> frozenset[str]:
        return frozenset(k for ks in self.categories.values() for k in ks) | self.any_category_keywords

    def category_problem(self, name: str) -> str | None:
        """Why `name` is not a category the database takes now, or None if it is."""
        if name in self.categories:
            return None
        return self._unknown(name, "DSA statement category")

    def keyword_problem(self, name: str) -> str | None:
        if name in self.keywords:
            return None
        return self._unknown(name, "DSA keyword")

    def _unknown(self, name: str, what: str) -> str:
        replacement = self.removed.get(name)
        if replacement is not None:
            return (
                f"{name!r} was removed from the Transparency Database on {self.in_force_from} "
                f"(taxonomy version {self.version}); use {replacement!r}"
            )
        return f"{name!r} is not a {what} (taxonomy version {self.version})"


@cache
def load_taxonomy(folder: Path = DATA) -> Taxonomy:
    raw = json.loads((folder / "taxonomy.json").read_text(encoding="utf-8"))
    languages = frozenset(
        line.strip().upper()
        for line in (folder / "iso639-1.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    return Taxonomy(
        version=str(raw["taxonomy_version"]),
        in_force_from=str(raw["in_force_from"]),
        categories={name: tuple(words) for name, words in raw["categories"].items()},
        any_category_keywords=frozenset(raw["any_category_keywords"]),
        removed=dict(raw["removed"]),
        languages=languages,
        countries=frozenset(raw["territorial_scope"]),
    )


TAXONOMY = load_taxonomy()
