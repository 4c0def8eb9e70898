"""Cutting a gradient graph down to the terms an objective weighs (engine/onnx_specialize.py)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from onnx import TensorProto, helper  # noqa: E402

from dreamlayer.engine import graphs  # noqa: E402
from dreamlayer.engine.onnx_specialize import CannotSpecialize, agrees, drop_zero_inputs  # noqa: E402


def _two_terms(extra: str = "") -> onnx.ModelProto:
    """value = a * mean(x^2) + b * mean(x); gradient = a * x + b * 1, as an exported graph lays them out."""
    nodes = [
        helper.make_node("Mul", ["image", "image"], ["square"]),
        helper.make_node("ReduceMean", ["square"], ["m1"], keepdims=0),
        helper.make_node("Mul", ["a", "m1"], ["t1"]),
        helper.make_node("ReduceMean", ["image"], ["m2"], keepdims=0),
        helper.make_node("Mul", ["b", "m2"], ["t2"]),
        helper.make_node("Add", ["t1", "t2"], ["value"]),
        helper.make_node("Mul", ["a", "image"], ["g1"]),
        helper.make_node("Shape", ["image"], ["shape"]),
        helper.make_node("Expand", ["b", "shape"], ["g2"]),
        helper.make_node("Add", ["g1", "g2"], ["gradient"] if not extra else ["sum"]),
    ]
    if extra:  # a zero-fed tensor into an operator the cutter does not know
        nodes.append(helper.make_node(extra, ["sum", "g2"], ["gradient"]))
    scalar = [helper.make_tensor_value_info(n, TensorProto.FLOAT, []) for n in ("a", "b")]
    graph = helper.make_graph(nodes, "terms", [helper.make_tensor_value_info("image", TensorProto.FLOAT,
                                                                             [1, 3, "h", "w"])] + scalar,
                              [helper.make_tensor_value_info("value", TensorProto.FLOAT, []),
                               helper.make_tensor_value_info("gradient", TensorProto.FLOAT, [1, 3, "h", "w"])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _weights(a: float, b: float) -> dict[str, np.ndarray]:
    return {"a": np.array(a, np.float32), "b": np.array(b, np.float32)}


def test_a_zero_term_is_cut_out_and_the_outputs_stay():
    whole = _two_terms()
    cut = drop_zero_inputs(whole, ["b"])
    assert [i.name for i in cut.graph.input] == ["image", "a"]
    assert len(cut.graph.node) < len(whole.graph.node)
    assert {n.op_type for n in cut.graph.node} >= {"Identity"}  # the sums with a zero pass the other operand
    assert agrees(whole, cut, _weights(0.7, 0.0), size=(9, 7))
    assert agrees(whole, cut, _weights(-2.0, 0.0), size=(8, 6))


def test_zeros_that_reach_an_unknown_operator_or_every_output_stop_the_cut():
    with pytest.raises(CannotSpecialize, match="Max"):
        drop_zero_inputs(_two_terms(extra="Max"), ["b"])
    with pytest.raises(CannotSpecialize, match="every term"):
        drop_zero_inputs(_two_terms(), ["a", "b"])


def test_cut_copies_are_made_once_kept_few_and_refused_ones_remembered(tmp_path: Path):
    path = tmp_path / "m@x.onnx"
    onnx.save(_two_terms(), str(path))
    first = graphs.specialized(str(path), _weights(1.0, 0.0))
    assert first != str(path) and Path(first).is_file()
    assert graphs.specialized(str(path), _weights(3.0, 0.0)) == first  # the same inputs weighed: the same copy
    assert graphs.specialized(str(path), _weights(1.0, 1.0)) == str(path)  # nothing to cut
    assert graphs.specialized(str(path), _weights(0.0, 0.0)) == str(path)  # every term zero: the whole graph
    assert list(tmp_path.glob("*.whole"))
    extra = tmp_path / "n@x.onnx"
    onnx.save(_two_terms(extra="Max"), str(extra))
    assert graphs.specialized(str(extra), _weights(1.0, 0.0)) == str(extra)
    stamp = Path(first).stat().st_mtime - 10
    os.utime(first, (stamp, stamp))
    assert graphs.specialized(str(path), _weights(1.0, 0.0)) == first  # used again: touched, not remade
    assert Path(first).stat().st_mtime > stamp


def test_only_the_most_recently_used_copies_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(graphs, "KEEP_SPECIALIZED", 1)
    path = tmp_path / "m@x.onnx"
    onnx.save(_two_terms(), str(path))
    older = Path(graphs.specialized(str(path), _weights(1.0, 0.0)))
    graphs.value_graph(str(older))
    stamp = older.stat().st_mtime - 10
    os.utime(older, (stamp, stamp))
    deeper = tmp_path / "m@x.3.onnx"  # another installed graph, named like a copy of m@x ("@layer3.3" by "@layer3")
    onnx.save(_two_terms(), str(deeper))
    newer = Path(graphs.specialized(str(path), _weights(0.0, 1.0)))
    assert newer.is_file() and not older.exists() and not older.with_name(older.stem + ".value.onnx").exists()
    assert path.is_file() and deeper.is_file()
