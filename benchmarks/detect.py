"""Detector speed and memory, beside the peers, each measured in its own process.

    .venv/bin/python benchmarks/detect.py [--messages 2000] [--engines hustings,alt-profanity-check,hatesonar]

Prints, per engine: batch throughput (messages/s over batches of 256), median
and p95 single-message latency, and peak resident memory of the process.
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
ENGINES = ("hustings", "alt-profanity-check", "hatesonar")


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
    if engine == "alt-profanity-check":
        from profanity_check import predict_prob

        return lambda texts: predict_prob(list(texts))
    if engine == "hatesonar":
        from hatesonar import Sonar

        sonar = Sonar()
        return lambda texts: [sonar.ping(text=t) for t in texts]
    raise SystemExit(f"unknown engine {engine!r}; expected one of {ENGINES}")


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
    if args.engine:
        print(json.dumps(measure(args.engine, args.messages)))
        return 0
    print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'engine':<22}{'msg/s (batch)':>14}{'median ms':>11}{'p95 ms':>9}{'peak RSS MB':>13}")
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
        print(f"{engine:<22}{result['throughput_msg_s']:>14}{result['latency_median_ms']:>11}"
              f"{result['latency_p95_ms']:>9}{result['peak_rss_mb']:>13}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
