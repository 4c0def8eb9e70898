"""A gradient graph cut down to one objective: the terms of layers it does not weigh are removed.

One exported graph serves every weighted sum of its layers' terms, so it computes every term and
its gradient, most of them times zero: on EfficientNet-Lite0 up to ``blocks.9`` a ``blocks.9``
dream ran 540 nodes where 348 do the work, 19 % of a step (single-thread CPU time, 512x384).
Each term is linear in its weight inputs, so with those inputs zero everything computed from them
is zero until it is added to something that is not: such a sum is the other operand, and the rest
is dead. Operators this does not know stop it (the graph is kept whole), and the result is checked
against the whole graph on a small picture before it is used.
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

# outputs zero when any listed operand is zero (operand positions; None: any operand)
_ZERO_IF: dict[str, Any] = {
    "Mul": None, "MatMul": None, "Div": (0,), "Neg": (0,), "Cast": (0,), "Identity": (0,),
    "ReduceMean": (0,), "ReduceSum": (0,), "Reshape": (0,), "Unsqueeze": (0,), "Squeeze": (0,), "Expand": (0,),
    "Transpose": (0,), "Slice": (0,), "Flatten": (0,), "Tile": (0,), "Conv": (0,), "ConvTranspose": (0,),
}
_SUMS = ("Add", "Sum", "Sub")


class CannotSpecialize(Exception):
    """The graph holds an operator this module cannot follow zeros through."""


def drop_zero_inputs(model: Any, zero: Iterable[str]) -> Any:
    """A copy of ``model`` computing the same outputs when the inputs named in ``zero`` are all zeros,
    without them and without what only they fed. CannotSpecialize if an operator stops the zeros."""
    import onnx

    from .onnx_grad import prune

    out = onnx.ModelProto()
    out.CopyFrom(model)
    graph = out.graph
    zeros = set(zero)
    removed: list[Any] = []
    for node in list(graph.node):
        hit = [i for i, name in enumerate(node.input) if name in zeros]
        if not hit:
            continue
        if node.op_type in _SUMS:
            others = [name for i, name in enumerate(node.input) if i not in hit and name]
            if not others:
                zeros.update(node.output)
                removed.append(node)
            elif len(others) == 1 and not (node.op_type == "Sub" and 0 in hit):
                node.op_type = "Identity"  # the other operand passes (ONNX Runtime elides the copy)
                del node.input[:]
                node.input.append(others[0])
            elif node.op_type == "Sum":
                del node.input[:]
                node.input.extend(others)
            else:
                raise CannotSpecialize(f"{node.op_type} {node.name} subtracts from zero")
            continue
        operands = _ZERO_IF.get(node.op_type, "unknown")
        if operands == "unknown" or (operands is not None and not any(i in operands for i in hit)):
            raise CannotSpecialize(f"{node.op_type} {node.name} reads a zeroed tensor")
        zeros.update(node.output)
        removed.append(node)
    if zeros & {output.name for output in graph.output}:
        raise CannotSpecialize("every term is zero")
    for node in removed:
        graph.node.remove(node)
    prune(graph)
    read = {name for node in graph.node for name in node.input}
    for graph_input in [i for i in graph.input if i.name in set(zero) and i.name not in read]:
        graph.input.remove(graph_input)
    return out


def agrees(whole: Any, cut: Any, feeds: dict[str, np.ndarray], size: tuple[int, int] = (97, 65)) -> bool:
    """Whether ``cut`` gives ``whole``'s outputs for ``feeds`` on a small random picture."""
    import onnxruntime as ort

    image = np.random.default_rng(0).random((1, 3, *size), dtype=np.float32)
    results = []
    for model in (whole, cut):
        session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        names = {i.name for i in session.get_inputs()}
        results.append(session.run(None, {k: v for k, v in {"image": image, **feeds}.items() if k in names}))
    return all(np.allclose(a, b, rtol=1e-4, atol=1e-6 * float(np.abs(a).max() or 1)) for a, b in zip(*results))
