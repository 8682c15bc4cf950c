"""How far the detector's encoder is from the speed goal, in arithmetic: work per message against the rate achieved.

    .venv/bin/python benchmarks/detect_floor.py [--messages 600] [--model src/hustings/detect/model/model.onnx]

Prints, for the same messages as `benchmarks/detect.py` (OLID test tweets):
- word-pieces per message after normalisation, and the multiply-accumulates (MACs)
  the encoder does for them, counted from the ONNX graph's weight shapes plus
  attention (scores and weighted sum), per message;
- the rate onnxruntime reaches: one message per run on one thread (how the
  detector's pool runs), and padded batches of 1, 8 and 32 on every core;
- the MAC rate that the goal of 800 messages/s would need on this machine;
- the ceiling: the best rate onnxruntime's int8 matrix multiply (MatMulInteger, the
  kernel the quantised encoder runs) reaches on this CPU for the encoder's own weight
  shapes and for large square matrices, on one thread and on every core, and so the
  most messages/s this encoder could reach if everything but its matrix multiplies were free.

Needs the `onnx` package (`pip install -e ".[train]"`) to read the graph. Figures are bare
onnxruntime on the shipped graph; `benchmarks/detect.py` measures
the detector as a whole.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from detect import corpus, cpu_model
from hustings.detect import load_detector
from hustings.detect.normalise import normalise

GOAL_MSG_S = 800


def encoder_shape(model_path: Path) -> tuple[int, int, int]:
    """(weight MACs per token, encoder layers, hidden size) from the graph's quantised MatMul weights."""
    graph = onnx.load(str(model_path)).graph
    inits = {i.name: i for i in graph.initializer}
    per_token = 0
    layers: set[str] = set()
    hidden = 0
    for node in graph.node:
        if (
            node.op_type not in ("MatMulInteger", "MatMul")
            or len(node.input) < 2
            or node.input[1] not in inits
        ):
            continue
        if "/encoder/encoder/layer." not in node.name:
            continue  # the heads run once on the pooled vector, not per token
        rows, cols = numpy_helper.to_array(inits[node.input[1]]).shape
        per_token += rows * cols
        layers.add(node.name.split("/encoder/encoder/")[1].split("/")[0])
        hidden = rows if "attention/self/query" in node.name else hidden
    return per_token, len(layers), hidden


def gemm_rate(m: int, k: int, n: int, threads: int, repeats: int = 40) -> float:
    """MACs/s of one int8 MatMulInteger (u8 activations times s8 weights) of shape (m, k) x (k, n)."""
    rng = np.random.default_rng(0)
    weight = rng.integers(-64, 64, (k, n)).astype(np.int8)  # 7-bit, as the shipped weights
    graph = helper.make_graph(
        [helper.make_node("MatMulInteger", ["a", "w", "a_zero"], ["y"])], "gemm",
        [helper.make_tensor_value_info("a", TensorProto.UINT8, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.INT32, [m, n])],
        [numpy_helper.from_array(weight, "w"), numpy_helper.from_array(np.array(128, np.uint8), "a_zero")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    run = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {"a": rng.integers(0, 256, (m, k)).astype(np.uint8)}
    for _ in range(5):
        run.run(None, feed)
    started = time.perf_counter()
    for _ in range(repeats):
        run.run(None, feed)
    return m * k * n * repeats / (time.perf_counter() - started)


def session(model_path: Path, threads: int) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    detector = load_detector()
    model_path = args.model or detector.model_dir / "model.onnx"
    tokenizer = detector._tokenizer  # the detector's own tokenizer, so the word-pieces are the ones it runs
    seqs = [tokenizer.encode(normalise(text).text).ids for text in corpus(args.messages)]
    lengths = [len(s) for s in seqs]
    weight_macs, layers, hidden = encoder_shape(model_path)
    macs = [n * weight_macs + layers * 2 * n * n * hidden for n in lengths]
    mean_macs = statistics.fmean(macs)
    cores = os.cpu_count() or 1
    print(f"machine: {cpu_model()}, {cores} CPUs; model {model_path}")
    print(
        f"word-pieces per message: mean {statistics.fmean(lengths):.1f}, median {statistics.median(lengths):.0f}"
    )
    print(f"encoder: {layers} layers, hidden {hidden}, {weight_macs / 1e6:.2f} M weight MACs per word-piece; "
          f"{mean_macs / 1e6:.0f} M MACs per message on average")  # fmt: skip

    single = session(model_path, 1)
    arrays = [np.array([s], dtype=np.int64) for s in seqs]
    for x in arrays[:20]:
        single.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})
    started = time.perf_counter()
    for x in arrays:
        single.run(["logits"], {"input_ids": x, "attention_mask": np.ones_like(x)})
    per_message = (time.perf_counter() - started) / len(arrays)
    rate = mean_macs / per_message
    print(f"one message per run, 1 thread: {per_message * 1000:.2f} ms a message, {rate / 1e9:.1f} G MACs/s "
          f"per core; {cores} cores at that rate: {cores / per_message:.0f} msg/s")  # fmt: skip

    pooled = session(model_path, cores)
    ordered = sorted(seqs, key=len)  # length-sorted, so padding is as small as it can be
    for size in (1, 8, 32):
        batches = []
        for i in range(0, len(ordered), size):
            chunk = ordered[i : i + size]
            width = max(len(s) for s in chunk)
            ids = np.zeros((len(chunk), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, s in enumerate(chunk):
                ids[row, : len(s)] = s
                mask[row, : len(s)] = 1
            batches.append((ids, mask))
        pooled.run(["logits"], {"input_ids": batches[0][0], "attention_mask": batches[0][1]})
        started = time.perf_counter()
        for ids, mask in batches:
            pooled.run(["logits"], {"input_ids": ids, "attention_mask": mask})
        elapsed = time.perf_counter() - started
        print(f"padded batches of {size:>2}, {cores} threads: {len(seqs) / elapsed:.0f} msg/s, "
              f"{mean_macs * len(seqs) / elapsed / cores / 1e9:.1f} G MACs/s per core")  # fmt: skip

    need = GOAL_MSG_S * mean_macs / cores
    print(f"{GOAL_MSG_S} msg/s needs {need / 1e9:.1f} G MACs/s per core for the encoder alone "
          f"({need / rate:.1f}x the single-thread rate measured above)")  # fmt: skip

    # The ceiling: onnxruntime's int8 GEMM alone, on the encoder's shapes (a 40-word-piece message)
    # and on large square matrices, where the kernel is at its most efficient.
    length = round(statistics.fmean(lengths))
    shapes = [(length, hidden, hidden), (length, hidden, 4 * hidden), (length, 4 * hidden, hidden),
              (512, hidden, 4 * hidden), (1024, 1024, 1024), (2048, 2048, 2048)]  # fmt: skip
    best_one = best_all = 0.0
    for m, k, n in shapes:
        one, every = gemm_rate(m, k, n, 1), gemm_rate(m, k, n, cores)
        best_one, best_all = max(best_one, one), max(best_all, every)
        print(f"int8 GEMM {m}x{k} by {k}x{n}: {one / 1e9:.1f} G MACs/s on 1 thread, "
              f"{every / 1e9:.1f} on {cores}")  # fmt: skip
    ceiling = max(best_one * cores, best_all)
    print(f"ceiling: the best int8 GEMM rate above, {ceiling / 1e9:.0f} G MACs/s on {cores} cores, would run this "
          f"encoder at {ceiling / mean_macs:.0f} msg/s if everything but its matrix multiplies were free; "
          f"{GOAL_MSG_S} msg/s needs {GOAL_MSG_S * mean_macs / ceiling:.2f}x that ceiling")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
