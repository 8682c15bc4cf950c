"""Detector speed and memory, beside the peers, each measured in its own process.

    .venv/bin/python benchmarks/detect.py [--messages 2000] [--engines hustings,alt-profanity-check,hatesonar]

Prints, per engine: batch throughput (messages/s over batches of 256), median
and p95 single-message latency, and peak resident memory of the process.
`int8-encoder` is the shipped ONNX graph alone on pre-tokenised messages, run the way the
detector runs it (one message per run, a pool of single-threaded sessions, all cores for a lone
message): the detector's own work on top of it (normalising, tokenising, calibration, evidence)
is the gap between the two rows, printed as the detector's share of the bare rate.
Messages are OLID test tweets (replies and comments, the traffic Hustings
sees) when ../shared/data is present, else the golden UK cases, repeated.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HUSTINGS_SHARED_DATA", ROOT.parent / "shared" / "data"))
ENGINES = ("hustings", "int8-encoder", "alt-profanity-check", "hatesonar")


def corpus(count: int) -> list[str]:
    texts: list[str] = []
    olid = SHARED / "olid" / "testset-levela.tsv"
    if olid.is_file():
        with olid.open(encoding="utf-8") as handle:
            texts = [row["tweet"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    if not texts:
        golden = ROOT / "tests" / "detect" / "golden" / "uk_political.jsonl"
        texts = [json.loads(line)["text"] for line in golden.read_text(encoding="utf-8").splitlines() if line]
    return [texts[i % len(texts)] for i in range(count)]


def scorer(engine: str) -> Callable[[Sequence[str]], object]:
    if engine == "hustings":
        from hustings.detect import load_detector

        detector = load_detector()
        return detector.assess
    if engine == "int8-encoder":
        return bare_encoder()
    if engine == "alt-profanity-check":
        from profanity_check import predict_prob

        return lambda texts: predict_prob(list(texts))
    if engine == "hatesonar":
        from hatesonar import Sonar

        sonar = Sonar()
        return lambda texts: [sonar.ping(text=t) for t in texts]
    raise SystemExit(f"unknown engine {engine!r}; expected one of {ENGINES}")


def bare_encoder() -> Callable[[Sequence[str]], object]:
    """The model graph alone, on ids tokenised beforehand (outside the timed calls)."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    from hustings.detect.detector import DEFAULT_MODEL_DIR
    from hustings.detect.normalise import normalise

    tokenizer = Tokenizer.from_file(str(DEFAULT_MODEL_DIR / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(128)
    cache: dict[str, np.ndarray] = {}
    for text in corpus(COUNT):
        cache.setdefault(text, np.array([tokenizer.encode(normalise(text).text).ids], dtype=np.int64))
    threads = os.cpu_count() or 1

    def session(n: int) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = n
        options.inter_op_num_threads = 1
        return ort.InferenceSession(str(DEFAULT_MODEL_DIR / "model.onnx"), options, providers=["CPUExecutionProvider"])

    single, pooled = session(threads), session(1)
    pool = ThreadPoolExecutor(max_workers=threads)

    def run(s: ort.InferenceSession, text: str) -> object:
        ids = cache[text]
        return s.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})

    def score(texts: Sequence[str]) -> object:
        if len(texts) == 1:
            return [run(single, texts[0])]
        return list(pool.map(lambda t: run(pooled, t), texts))

    return score


COUNT = 2000


def measure(engine: str, count: int) -> dict[str, object]:
    score = scorer(engine)
    texts = corpus(count)
    score(texts[:64])  # warm-up: first-call allocations are not the steady state
    started = time.perf_counter()
    for i in range(0, len(texts), 256):
        score(texts[i : i + 256])
    throughput = len(texts) / (time.perf_counter() - started)
    latencies = []
    for text in texts[:300]:
        t0 = time.perf_counter()
        score([text])
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    return {
        "engine": engine,
        "messages": len(texts),
        "throughput_msg_s": round(throughput, 1),
        "latency_median_ms": round(statistics.median(latencies), 2),
        "latency_p95_ms": round(latencies[int(0.95 * len(latencies)) - 1], 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def cpu_model() -> str:
    """The CPU's name and whether it has VNNI (int8 dot products), which decides int8 speed."""
    try:
        info = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or platform.machine()
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), [])
    vnni = "VNNI" if {"avx512_vnni", "avx_vnni"} & set(flags) else "no VNNI"
    return f"{name} ({'AVX-512' if 'avx512f' in flags else 'AVX2' if 'avx2' in flags else 'no AVX2'}, {vnni})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--engine", help=argparse.SUPPRESS)  # internal: measure one engine in this process
    args = parser.parse_args()
    global COUNT
    COUNT = args.messages
    if args.engine:
        print(json.dumps(measure(args.engine, args.messages)))
        return 0
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'engine':<22}{'msg/s (batch)':>14}{'median ms':>11}{'p95 ms':>9}{'peak RSS MB':>13}")
    rates: dict[str, float] = {}
    for engine in args.engines.split(","):
        run = subprocess.run(
            [sys.executable, __file__, "--engine", engine, "--messages", str(args.messages)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if run.returncode != 0:
            reason = (run.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"{engine:<22}unavailable: {reason[:100]}")
            continue
        result = json.loads(run.stdout.strip().splitlines()[-1])
        rates[engine] = float(result["throughput_msg_s"])
        print(f"{engine:<22}{result['throughput_msg_s']:>14}{result['latency_median_ms']:>11}"
              f"{result['latency_p95_ms']:>9}{result['peak_rss_mb']:>13}")  # fmt: skip
    if "hustings" in rates and "int8-encoder" in rates:
        print(f"detector / bare int8 encoder: {rates['hustings'] / rates['int8-encoder']:.1%} of its batch rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
