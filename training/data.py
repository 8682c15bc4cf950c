"""Build the training, development and evaluation rows from the shared sets and our own data.

Every row is `{"text", "labels": {label: target 0..1}, "characteristic", "source"}`.
Labels absent from `labels` are 0. Targets below 1 are soft: they say "this
set's annotation only partly matches our label" (see MAPPING below, which the
model card repeats).

Splits:
- train: sampled and balanced from the public training splits, our templates
  (train templates only) and `training/data/train_*.jsonl`;
- dev: public development splits plus held-out templates, used to calibrate
  and to pick thresholds;
- eval: public test splits, used only by `hustings eval`.
Our hand-written test cases live in `tests/detect/golden/` and are never read here. The blind
suite (`tests/detect/blind/`) is read only to drop training rows that are near-duplicates of it
(`training/dedup.py`); none of its rows trains, calibrates or sets a threshold.

Individually written UK messages (`training/data/written/`, one file per writer) go wholly to
train, or, for the writers in `DEV_WRITERS`, wholly to dev, where they set the calibration and
thresholds as traffic like the real one.
"""

from __future__ import annotations

import ast
import csv
import json
import os
import random
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from training import augment, functional
from training.templates import generate

ROOT = Path(__file__).resolve().parent
DATA_DIR = ROOT / "data"
SHARED = Path(os.environ.get("HUSTINGS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

MAPPING = {
    "olid": "NOT -> none; OFF/UNT -> abuse 0.4; OFF/TIN/IND -> abuse 1; OFF/TIN/GRP -> identity_hate 1 when a"
    " protected group is named, else abuse 0.7; OFF/TIN/OTH -> abuse 0.6",
    "davidson": "hate -> identity_hate 1 (characteristic by keyword); offensive -> abuse 0.5; neither -> none",
    "hatexplain": "hatespeech -> identity_hate 1; offensive -> abuse 0.5 + identity_hate 0.4; normal -> none;"
    " characteristic from annotator targets (val/test) or keywords (train)",
    "edos": "1. threats -> threat 1 + identity_hate 1 (sex_gender), + sexual_harassment 1 when sexual violence"
    " is named; 2. derogation -> identity_hate 1; 3. animosity -> identity_hate 0.7; 4. prejudiced"
    " discussions -> identity_hate 0.5; not sexist -> none",
    "mlma": "hateful -> identity_hate 1; offensive/abusive -> identity_hate 0.7; disrespectful/fearful only ->"
    " identity_hate 0.4; normal -> none; target -> characteristic (origin -> nationality, gender -> sex_gender)",
    "toxigen": "hate -> identity_hate 1 with the target group's characteristic; neutral -> none",
}

Row = dict[str, Any]

CHARACTERISTIC_WORDS: dict[str, tuple[str, ...]] = {
    "race": ("nigger", "nigga", "negro", "black", "white", "coon", "paki", "chink", "spic", "wetback", "beaner",
             "asian", "latino", "mexican", "arab", "gypsy", "ape", "monkey", "jungle", "ghetto", "gook", "wog"),
    "religion": ("muslim", "islam", "moslem", "jew", "jewish", "kike", "christian", "hindu", "sikh", "raghead",
                 "mosque", "muzrat", "towelhead", "zionist", "goyim", "catholic"),
    "sex_gender": ("women", "woman", "bitch", "whore", "slut", "cunt", "feminist", "female", "girl", "hoe",
                   "thot", "wife", "skank", "slag"),
    "sexual_orientation": ("faggot", "fag", "gay", "homo", "dyke", "lesbian", "queer", "poof", "bisexual"),
    "gender_identity": ("tranny", "trans", "transgender", "troon", "shemale", "nonbinary", "non-binary"),
    "disability": ("retard", "retarded", "spastic", "autistic", "disabled", "cripple", "mong", "spaz"),
    "nationality": ("immigrant", "refugee", "migrant", "foreigner", "illegals", "deport", "polish", "romanian",
                    "nigerian", "pakistani", "indian", "chinese"),
}  # fmt: skip
_WORD_TO_CHAR = {w: c for c, words in CHARACTERISTIC_WORDS.items() for w in words}


def characteristic_from_keywords(text: str) -> str | None:
    """Guess the protected characteristic from the first group word or slur in the text."""
    for word in re.findall(r"[a-z\-]+", text.lower()):
        stem = word.rstrip("s") if word.rstrip("s") in _WORD_TO_CHAR else word
        if stem in _WORD_TO_CHAR:
            return _WORD_TO_CHAR[stem]
    return None


def _row(text: str, labels: dict[str, float], characteristic: str | None, source: str) -> Row:
    return {"text": text, "labels": labels, "characteristic": characteristic, "source": source}


def _clean_twitter(text: str) -> str:
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("RT ", "")


# --- OLID -----------------------------------------------------------------


def _olid_labels(a: str, b: str, c: str, text: str) -> tuple[dict[str, float], str | None]:
    if a == "NOT":
        return {}, None
    if b == "UNT" or b == "NULL":
        return {"abuse": 0.4}, None
    if c == "IND":
        return {"abuse": 1.0}, None
    if c == "GRP":
        characteristic = characteristic_from_keywords(text)
        if characteristic is not None:
            return {"identity_hate": 1.0}, characteristic
        return {"abuse": 0.7}, None
    return {"abuse": 0.6}, None


def olid_train() -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "olid" / "olid-training-v1.0.tsv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            labels, ch = _olid_labels(record["subtask_a"], record["subtask_b"], record["subtask_c"], record["tweet"])
            rows.append(_row(record["tweet"], labels, ch, "olid"))
    return rows


def _read_cr_csv(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return {line.split(",")[0]: line.split(",")[1] for line in text.splitlines() if "," in line}


def olid_test() -> list[Row]:
    a = _read_cr_csv(SHARED / "olid" / "labels-levela.csv")
    b = _read_cr_csv(SHARED / "olid" / "labels-levelb.csv")
    c = _read_cr_csv(SHARED / "olid" / "labels-levelc.csv")
    rows: list[Row] = []
    with (SHARED / "olid" / "testset-levela.tsv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            key = record["id"]
            labels, ch = _olid_labels(a[key], b.get(key, "NULL"), c.get(key, "NULL"), record["tweet"])
            row = _row(record["tweet"], labels, ch, "olid")
            row["offensive"] = a[key] == "OFF"
            rows.append(row)
    return rows


# --- Davidson ----------------------------------------------------------------


def davidson() -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "davidson_hsol" / "labeled_data.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            text = _clean_twitter(record["tweet"])
            cls = record["class"]
            if cls == "0":
                rows.append(_row(text, {"identity_hate": 1.0}, characteristic_from_keywords(text), "davidson"))
            elif cls == "1":
                rows.append(_row(text, {"abuse": 0.5}, None, "davidson"))
            else:
                rows.append(_row(text, {}, None, "davidson"))
    return rows


# --- HateXplain --------------------------------------------------------------

_HX_TARGETS = {
    "African": "race", "Arab": "race", "Asian": "race", "Caucasian": "race", "Hispanic": "race",
    "Indian": "race", "Indigenous": "race", "Islam": "religion", "Jewish": "religion", "Christian": "religion",
    "Hindu": "religion", "Buddhism": "religion", "Women": "sex_gender", "Men": "sex_gender",
    "Homosexual": "sexual_orientation", "Gay": "sexual_orientation", "Bisexual": "sexual_orientation",
    "Heterosexual": "sexual_orientation", "Asexual": "sexual_orientation", "Disability": "disability",
    "Refugee": "nationality", "Minority": "race", "Other": "",  "None": "", "Economic": "",
}  # fmt: skip


def _hx_labels(label: str) -> dict[str, float]:
    if label == "hatespeech":
        return {"identity_hate": 1.0}
    if label == "offensive":
        return {"abuse": 0.5, "identity_hate": 0.4}
    return {}


def hatexplain_train() -> list[Row]:
    rows: list[Row] = []
    path = SHARED / "hatexplain" / "DERIVED_train_not_in_official_valtest.tsv"
    with path.open(encoding="utf-8") as handle:
        next(handle)
        for line in handle:
            label, _, text = line.rstrip("\n").partition("\t")
            ch = characteristic_from_keywords(text) if label != "normal" else None
            rows.append(_row(text, _hx_labels(label), ch, "hatexplain"))
    return rows


def hatexplain_split(name: str) -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "hatexplain" / f"df_{name}_processed.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            info = ast.literal_eval(record["annotators"])
            votes = [{0: "hatespeech", 1: "normal", 2: "offensive"}[v] for v in info["label"]]
            label = max(set(votes), key=votes.count) if max(votes.count(v) for v in votes) >= 2 else "undecided"
            if label == "undecided":
                continue
            targets = [t for ts in info["target"] for t in ts]
            chars = [_HX_TARGETS.get(t, "") for t in targets]
            chars = [c for c in chars if c]
            characteristic = max(set(chars), key=chars.count) if chars and label != "normal" else None
            text = " ".join(ast.literal_eval(record["post_tokens"]))
            rows.append(_row(text, _hx_labels(label), characteristic, "hatexplain"))
    return rows


# --- EDOS ----------------------------------------------------------------------

_SEXUAL_VIOLENCE = re.compile(r"\b(rape|raped|raping|rapist|grope|molest|sexual|sex slave|gang ?bang)\b", re.I)


def edos(split: str) -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "edos" / "edos_labelled_aggregated.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            if record["split"] != split:
                continue
            text = record["text"].replace("[USER]", "@USER").replace("[URL]", "URL")
            category = record["label_category"]
            labels: dict[str, float] = {}
            if category.startswith("1."):
                labels = {"threat": 1.0, "identity_hate": 1.0}
                if _SEXUAL_VIOLENCE.search(text):
                    labels["sexual_harassment"] = 1.0
            elif category.startswith("2."):
                labels = {"identity_hate": 1.0}
            elif category.startswith("3."):
                labels = {"identity_hate": 0.7}
            elif category.startswith("4."):
                labels = {"identity_hate": 0.5}
            rows.append(_row(text, labels, "sex_gender" if labels else None, "edos"))
    return rows


# --- MLMA ----------------------------------------------------------------------

_MLMA_TARGET = {"origin": "nationality", "gender": "sex_gender", "sexual_orientation": "sexual_orientation",
                "religion": "religion", "disability": "disability"}  # fmt: skip


def mlma() -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "mlma" / "en_dataset_with_stop_words.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            kinds = set(record["sentiment"].split("_"))
            if "hateful" in kinds:
                value = 1.0
            elif kinds & {"offensive", "abusive"}:
                value = 0.7
            elif kinds & {"disrespectful", "fearful"}:
                value = 0.4
            else:
                value = 0.0
            characteristic = _MLMA_TARGET.get(record["target"])
            if record["group"] in ("african_descent", "asians", "hispanics", "arabs"):
                characteristic = "race"
            labels = {"identity_hate": value} if value and characteristic else ({"abuse": value} if value else {})
            rows.append(_row(record["tweet"], labels, characteristic if value else None, "mlma"))
    return rows


# --- ToxiGen ------------------------------------------------------------------

_TOXIGEN_GROUP = {
    "asian": "race", "black": "race", "chinese": "race", "latino": "race", "mexican": "nationality",
    "middle_east": "race", "native_american": "race", "jewish": "religion", "muslim": "religion",
    "lgbtq": "sexual_orientation", "bisexual": "sexual_orientation", "trans": "gender_identity",
    "women": "sex_gender", "immigrant": "nationality", "mental_disability": "disability",
    "physical_disability": "disability",
}  # fmt: skip


def toxigen_prompts() -> list[Row]:
    rows: list[Row] = []
    with (SHARED / "toxigen_prompts" / "toxigen_prompt_sentences_dedup.csv").open(encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            group = _TOXIGEN_GROUP.get(record["target_group"])
            hate = record["label"] == "hate"
            rows.append(_row(record["text"], {"identity_hate": 1.0} if hate else {}, group if hate else None,
                             "toxigen"))  # fmt: skip
    return rows


def toxigen_demonstrations() -> list[Row]:
    rows: list[Row] = []
    for path in sorted((SHARED / "toxigen_prompts" / "demonstrations").rglob("*.txt")):
        kind, _, rest = path.stem.partition("_")
        group = _TOXIGEN_GROUP.get(rest.removesuffix("_sentences"))
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip().lstrip("-").strip()
            if len(text) < 8:
                continue
            hate = kind == "hate"
            rows.append(_row(text, {"identity_hate": 1.0} if hate else {}, group if hate else None, "toxigen"))
    return rows


# --- our own data --------------------------------------------------------------


def read_jsonl(path: Path) -> list[Row]:
    rows: list[Row] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def write_jsonl(path: Path, rows: Iterable[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def templates(seed: int) -> tuple[list[Row], list[Row]]:
    train, dev = generate(seed=seed, per_template=8, dev_fraction=0.15)
    # Functional contrasts (training/functional.py): fewer fillings, as there are more templates.
    fn_train, fn_dev = functional.generate(seed=seed, per_template=3, dev_fraction=0.15)
    train, dev = train + fn_train, dev + fn_dev

    def as_rows(items: Iterable[Any]) -> list[Row]:
        return [_row(r.text, r.labels, r.characteristic, f"uk_templates:{r.family}") for r in items]

    return as_rows(train), as_rows(dev)


def handwritten_train() -> list[Row]:
    rows: list[Row] = []
    for path in sorted(DATA_DIR.glob("train_*.jsonl")):
        if path.name == "train_uk_templates.jsonl":
            continue
        rows.extend(read_jsonl(path))
    return rows


WRITTEN_DIR = DATA_DIR / "written"
# Whole writers held out for calibration and thresholds (issue 12: thresholds set on traffic like
# the real one), so dev measures what a writer the model has not read does to it.
DEV_WRITERS = ("D1", "D2")


def written_files() -> list[tuple[Path, list[Row]]]:
    """Each writer's file with its rows as training rows (labels as targets of 1)."""
    from training import blind

    out: list[tuple[Path, list[Row]]] = []
    for path in sorted(WRITTEN_DIR.glob("*.jsonl")):
        rows = [
            _row(r["text"], dict.fromkeys(r["labels"], 1.0), r.get("characteristic") if "identity_hate" in r["labels"]
                 else None, f"written:{path.stem}:{r['family']}") | {"kind": r["kind"]}
            for r in blind.read_writer(path)
        ]  # fmt: skip
        out.append((path, rows))
    return out


def written(exclude_near: bool = True) -> tuple[list[Row], list[Row]]:
    """(train, dev) rows from the writers; rows near a blind-suite message are dropped."""
    from training import blind, dedup

    references = [r["text"] for r in blind.load()] if exclude_near else []
    train: list[Row] = []
    dev: list[Row] = []
    for path, rows in written_files():
        near = {m.index for m in dedup.near_duplicates([r["text"] for r in rows], references)} if references else set()
        kept = [r for i, r in enumerate(rows) if i not in near]
        (dev if path.stem in DEV_WRITERS else train).extend(kept)
    return train, dev


def _sample(rows: list[Row], n: int, rng: random.Random) -> list[Row]:
    return rows if len(rows) <= n else rng.sample(rows, n)


def _split(rows: list[Row], fraction: float, rng: random.Random) -> tuple[list[Row], list[Row]]:
    shuffled = list(rows)
    rng.shuffle(shuffled)
    cut = int(len(shuffled) * fraction)
    return shuffled[cut:], shuffled[:cut]


def _hostile(row: Row) -> bool:
    return any(v >= 0.5 for v in row["labels"].values())


def build(seed: int = 13, budget: int = 22000) -> dict[str, list[Row]]:
    """Return {"train", "dev", "eval"} rows. Deterministic for a given seed."""
    rng = random.Random(seed)
    olid_rows, olid_dev = _split(olid_train(), 0.12, rng)
    mlma_rows, mlma_eval = _split(mlma(), 0.2, rng)
    tox_rows, tox_eval = _split(toxigen_prompts(), 0.3, rng)
    dav_rows, dav_eval = _split(davidson(), 0.1, rng)
    tmpl_train, tmpl_dev = templates(seed)
    hand = handwritten_train()
    written_train, written_dev = written()
    write_jsonl(DATA_DIR / "train_uk_templates.jsonl", tmpl_train)

    edos_train = edos("train")
    edos_threat = [r for r in edos_train if "threat" in r["labels"]]
    edos_other_sexist = [r for r in edos_train if r["labels"] and "threat" not in r["labels"]]
    edos_not = [r for r in edos_train if not r["labels"]]
    hx = hatexplain_train()
    dav_hate = [r for r in dav_rows if "identity_hate" in r["labels"]]
    dav_off = [r for r in dav_rows if "abuse" in r["labels"]]
    dav_not = [r for r in dav_rows if not r["labels"]]

    # Our data is small beside the public sets and aimed at the failure modes: weight it up. The
    # writers' messages are the nearest thing to the traffic, so they count twice.
    own = tmpl_train * 2 + hand * 3 + written_train * 2
    public = (
        _sample(hx, 5000, rng)
        + edos_threat
        + _sample(edos_other_sexist, 1000, rng)
        + _sample(edos_not, 1200, rng)
        + _sample(dav_hate, 700, rng)
        + _sample(dav_off, 700, rng)
        + _sample(dav_not, 600, rng)
        + _sample(mlma_rows, 1200, rng)
        + tox_rows
        + toxigen_demonstrations()
    )
    public = _sample(public, max(0, budget - len(own)), rng)
    # Every OLID training tweet, outside the budget: replies to and about politicians, labelled
    # for offensiveness, are the nearest thing here to the traffic Hustings sees.
    train = own + public + olid_rows
    # Spelling noise the normaliser cannot undo (dropped, swapped, doubled letters,
    # missing spaces) on a share of hostile rows, so the encoder learns to read through it.
    noisy = [augment.obfuscate(r, rng) for r in train if _hostile(r) and rng.random() < 0.25]
    train = train + noisy
    rng.shuffle(train)
    dev = olid_dev + hatexplain_split("val") + edos("dev") + tmpl_dev + written_dev
    evaluation = (
        olid_test() + hatexplain_split("test") + edos("test") + mlma_eval + tox_eval + dav_eval
    )
    return {"train": train, "dev": dev, "eval": evaluation}


def by_source(rows: Iterable[Row]) -> Iterator[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row["source"]).split(":")[0], []).append(row)
    yield from sorted(groups.items())
