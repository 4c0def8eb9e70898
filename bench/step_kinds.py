"""Where a dream step's time goes, by kind of operator: what ``bench.floor`` needs to say why a
step is not within reach of its floor, and which part a library would have to make faster.

Each profiler times every operator of a few steps; the kinds' shares of that time, applied to the
step's unprofiled time, give milliseconds per step (profiling slows each operator a little, so
shares, not its absolute times). The kinds:

- ``convolutions``: the forward's and the input gradient's, the work the floor counts;
- ``zero insertion``: ONNX Runtime's transposed convolutions that put zeros between a strided
  layer's gradient pixels (``engine/onnx_export.py``), which torch's backward does inside its kernel;
- ``relu6 masks``: ReLU6's backward, ``hardtanh_backward`` in torch, and in ONNX Runtime the
  per-channel 1x1 convolutions and products it is written as;
- ``copies``: pads, crops and ONNX Runtime's reorders into and out of its blocked layout;
- ``other``: the objective, the image's normalisation, and Python's share in torch.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from typing import Any, Callable

KINDS = ("convolutions", "zero insertion", "relu6 masks", "copies", "other")

_TORCH = {
    "convolutions": {"mkldnn::_convolution_pointwise", "aten::convolution_backward", "aten::mm",
                     "aten::mkldnn_convolution"},
    "relu6 masks": {"aten::hardtanh_backward"},
    "copies": {"aten::copy_", "aten::fill_", "aten::zero_"},
}


def _shares(seconds: Counter) -> dict[str, float]:
    total = sum(seconds.values())
    return {kind: seconds[kind] / total if total else 0.0 for kind in KINDS}


def torch_shares(step: Callable[[], object], repeats: int) -> dict[str, float]:
    """Each kind's share of a torch step, from ``torch.profiler``'s self time per operator."""
    from torch.profiler import ProfilerActivity, profile

    step()
    with profile(activities=[ProfilerActivity.CPU]) as profiler:
        for _ in range(repeats):
            step()
    seconds: Counter = Counter()
    for event in profiler.key_averages():
        kind = next((k for k, names in _TORCH.items() if event.key in names), "other")
        seconds[kind] += event.self_cpu_time_total
    return _shares(seconds)


def _onnx_kind(op: str, shapes: list[list[int]]) -> str:
    if op == "ConvTranspose":
        return "zero insertion"
    if op in ("Conv", "FusedConv"):
        weight = shapes[1] if len(shapes) > 1 else []
        return "relu6 masks" if len(weight) == 4 and weight[1:] == [1, 1, 1] else "convolutions"
    if op in ("Mul", "Clip"):
        return "relu6 masks"
    if op in ("ReorderInput", "ReorderOutput", "Slice", "Pad"):
        return "copies"
    return "other"


def onnx_shares(path: str, feed: dict[str, Any], repeats: int) -> dict[str, float]:
    """Each kind's share of an ONNX Runtime step of the graph at ``path``, from its profile, in a
    session set up as the onnx backend sets up its own (``onnx_backend.session``)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.enable_profiling = True
    with tempfile.TemporaryDirectory() as folder:  # where the profile goes, not the working directory
        options.profile_file_prefix = os.path.join(folder, "step")
        session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        names = {i.name for i in session.get_inputs()}
        feed = {name: value for name, value in feed.items() if name in names}
        for _ in range(repeats + 1):
            session.run(None, feed)
        with open(session.end_profiling()) as file:
            events = json.load(file)
    runs = sorted(e["ts"] + e["dur"] for e in events if e.get("cat") == "Session" and e["name"] == "model_run")
    warmed = runs[0] if runs else 0  # the first run, which allocates, is a warm-up
    seconds: Counter = Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time") and event["ts"] >= warmed:
            args = event["args"]
            shapes = [next(iter(s.values())) for s in args.get("input_type_shape", [])]
            seconds[_onnx_kind(args["op_name"], shapes)] += event["dur"]
    return _shares(seconds)
