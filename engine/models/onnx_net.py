"""A forward ONNX graph run by torch: an imported classifier as a network the torch backend dreams with.

Each node is evaluated with the torch operation that computes the same (convolutions, activations,
pooling, padding, concatenation, elementwise arithmetic, reshapes, the classifier head, and the
integer arithmetic exporters write to work out shapes), so torch's autograd differentiates it and
every objective works, neurons and guides included. Weights come from the graph's initializers as
plain arrays; nothing is unpickled.

The nodes that compute from the picture's values are modules, so a forward hook sees a layer's
activation as in the registry's networks (``DreamNet`` stops the forward there). The others only
work out shapes and padding; they run on the CPU, once per picture size and device.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..errors import DreamError

Tensor = torch.Tensor
Result = Union[Tensor, tuple[Tensor, ...]]
SHAPE_CACHE = 16  # picture sizes whose shape arithmetic is kept: a dream's tiles and octaves have few


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise DreamError("running an imported classifier with torch needs the onnx package: pip install onnx") \
            from None
    return onnx


def _ints(t: Optional[Tensor]) -> list[int]:
    return [] if t is None else [int(v) for v in t.reshape(-1).tolist()]


def _together(*tensors: Tensor) -> list[Tensor]:
    """Operands on one device: shape arithmetic is on the CPU, a network may be on a GPU; a CPU
    scalar mixes with anything, anything else goes where the first accelerator tensor is."""
    device = next((t.device for t in tensors if t.device.type != "cpu"), None)
    if device is None:
        return list(tensors)
    return [t if t.device == device or t.dim() == 0 else t.to(device) for t in tensors]


class Node(nn.Module):
    """One ONNX node: its operator, attributes and the names of its inputs and outputs."""

    def __init__(self, proto: Any, index: int) -> None:
        super().__init__()
        onnx = _onnx()
        self.op_type: str = proto.op_type
        self.label = proto.name or f"{proto.op_type.lower()}{index}"
        self.inputs: list[str] = list(proto.input)
        self.outputs: list[str] = list(proto.output)
        self.attrs: dict[str, Any] = {}
        for a in proto.attribute:
            value = onnx.helper.get_attribute_value(a)
            if isinstance(value, bytes):
                value = value.decode()
            elif a.type == onnx.AttributeProto.TENSOR:
                value = onnx.numpy_helper.to_array(value)
            self.attrs[a.name] = value
        self.op: Optional[Callable[[Node, list[Any]], Any]] = OPS.get(self.op_type)
        self.into_conv = False  # a Pad whose only reader is a convolution's picture input

    def forward(self, *args: Any) -> Any:
        assert self.op is not None  # OnnxNetwork refuses graphs with operators it cannot run
        return self.op(self, list(args))

    def extra_repr(self) -> str:
        return f"{self.op_type} {self.label}"

    def attr(self, name: str, default: Any = None) -> Any:
        return self.attrs.get(name, default)

    def axes(self, args: list[Optional[Tensor]], position: int) -> Optional[list[int]]:
        """Axes given as an attribute (older opsets) or as an input (newer), or None."""
        if "axes" in self.attrs:
            return [int(a) for a in self.attrs["axes"]]
        if len(args) > position and args[position] is not None:
            return _ints(args[position])
        return None


# -- activations and arithmetic -------------------------------------------------------------------

def _bound(node: Node, args: list[Optional[Tensor]], position: int, attr: str) -> Optional[float]:
    if len(args) > position and args[position] is not None:
        return float(args[position])  # type: ignore[arg-type]
    return float(node.attrs[attr]) if attr in node.attrs else None


def _clip(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    low, high = _bound(node, args, 1, "min"), _bound(node, args, 2, "max")
    if low is not None and high is not None:
        return F.hardtanh(x, low, high)  # its gradient stops at the bounds, as the gradient graph's does
    return x.clamp(min=low, max=high)


def _binary(fn: Callable[[Tensor, Tensor], Tensor]) -> Callable[[Node, list[Optional[Tensor]]], Tensor]:
    def run(node: Node, args: list[Optional[Tensor]]) -> Tensor:
        a, b = _together(*args)  # type: ignore[arg-type]
        return fn(a, b)

    return run


def _div(a: Tensor, b: Tensor) -> Tensor:
    if a.is_floating_point() or b.is_floating_point():
        return a / b
    return torch.div(a, b, rounding_mode="trunc")  # ONNX divides integers towards zero


def _batch_norm(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x, scale, bias, mean, var = args[:5]
    return F.batch_norm(x, mean, var, scale, bias, False, 0.0, float(node.attr("epsilon", 1e-5)))  # type: ignore


def _dropout(node: Node, args: list[Optional[Tensor]]) -> Result:
    x = args[0]
    assert x is not None
    return (x, torch.ones_like(x, dtype=torch.bool)) if len(node.outputs) > 1 else x


# -- shapes ---------------------------------------------------------------------------------------

def _reshape(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    shape = _ints(args[1])
    if not node.attr("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _flatten(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    axis = int(node.attr("axis", 1)) % (x.dim() or 1)
    return x.reshape(math.prod(x.shape[:axis]), -1)


def _squeeze(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    axes = node.axes(args, 1)
    if axes is None:
        return x.squeeze()
    return x.squeeze(tuple(a % x.dim() for a in axes))


def _unsqueeze(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    axes = node.axes(args, 1) or []
    rank = x.dim() + len(axes)
    for axis in sorted(a % rank for a in axes):
        x = x.unsqueeze(axis)
    return x


def _transpose(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    return x.permute([int(p) for p in node.attr("perm", list(reversed(range(x.dim()))))])


def _gather(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x, indices = args[0], args[1]
    assert x is not None and indices is not None
    axis = int(node.attr("axis", 0)) % x.dim()
    indices = indices.to(x.device)
    flat = torch.where(indices < 0, indices + x.shape[axis], indices).reshape(-1)
    picked = x.index_select(axis, flat)
    return picked.reshape(tuple(x.shape[:axis]) + tuple(indices.shape) + tuple(x.shape[axis + 1:]))


def _concat(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    return torch.cat(_together(*[a for a in args if a is not None]), dim=int(node.attrs["axis"]))


def _slice(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    if "starts" in node.attrs:  # opset 1..9
        starts, ends = list(node.attrs["starts"]), list(node.attrs["ends"])
        axes, steps = node.attrs.get("axes"), None
    else:
        starts, ends = _ints(args[1]), _ints(args[2])
        axes = _ints(args[3]) if len(args) > 3 and args[3] is not None else None
        steps = _ints(args[4]) if len(args) > 4 and args[4] is not None else None
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis %= x.dim()
        picked = range(*slice(start, end, step).indices(x.shape[axis]))
        if step > 0:
            x = x.narrow(axis, picked.start, len(picked)) if step == 1 else \
                x.index_select(axis, torch.arange(picked.start, picked.stop, step, device=x.device))
        else:
            x = x.index_select(axis, torch.tensor(list(picked), dtype=torch.int64, device=x.device))
    return x


@dataclass(frozen=True)
class Padded:
    """A picture whose zero padding is left to the convolution that reads it: torch pads inside the
    convolution for free, where a separate pad copies the whole activation, and its backward again
    (TensorFlow's MobileNets pad before every convolution: a quarter of a step's time)."""

    tensor: Tensor
    begin: list[int]  # per spatial axis
    end: list[int]


def _pad(node: Node, args: list[Optional[Tensor]]) -> Union[Tensor, Padded]:
    x = args[0]
    assert x is not None
    if node.attr("mode", "constant") != "constant":
        raise DreamError(f"the torch backend cannot run {node.attr('mode')!r} padding ({node.label})")
    if len(args) > 3 and args[3] is not None:
        raise DreamError(f"the torch backend cannot run padding of chosen axes ({node.label})")
    pads = _ints(args[1]) if len(args) > 1 and args[1] is not None else list(node.attrs["pads"])
    value = float(args[2]) if len(args) > 2 and args[2] is not None and args[2].numel() else \
        float(node.attr("value", 0.0))
    rank = x.dim()
    if not any(pads):
        return x
    if node.into_conv and value == 0 and min(pads) >= 0 and not any(pads[:2] + pads[rank:rank + 2]):
        return Padded(x, pads[2:rank], pads[rank + 2:])
    pairs = [p for axis in reversed(range(rank)) for p in (pads[axis], pads[axis + rank])]
    return F.pad(x, pairs, value=value)


def _shape(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    start, end = node.attr("start", 0), node.attr("end", None)
    return torch.tensor(list(x.shape)[start:end], dtype=torch.int64)


_DTYPES = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 6: torch.int32, 7: torch.int64, 9: torch.bool,
           10: torch.float16, 11: torch.float64}


def _cast(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    to = int(node.attrs["to"])
    if to not in _DTYPES:
        raise DreamError(f"the torch backend cannot cast to ONNX type {to} ({node.label})")
    return x.to(_DTYPES[to])


def _constant_of_shape(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    value = node.attr("value")
    fill = torch.from_numpy(np.array(value if value is not None else np.zeros(1, np.float32)).reshape(-1)[:1])
    return torch.full(_ints(args[0]), fill.item(), dtype=fill.dtype)


def _expand(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    shape = torch.broadcast_shapes(tuple(x.shape), tuple(_ints(args[1])))
    return x.expand(shape)


def _where(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    condition, a, b = _together(*args)  # type: ignore[arg-type]
    return torch.where(condition, a, b)


def _range(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    start, limit, delta = (a.item() for a in args)  # type: ignore[union-attr]
    return torch.arange(start, limit, delta, dtype=args[0].dtype)  # type: ignore[union-attr]


# -- reductions, pooling, convolutions and products -----------------------------------------------

def _reduce_mean(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    axes = node.axes(args, 1)
    dims = list(range(x.dim())) if not axes else [a % x.dim() for a in axes]
    return x.mean(dim=dims, keepdim=bool(node.attr("keepdims", 1)))


def _global_average_pool(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)


def _pool_pads(node: Node, x: Tensor, kernel: list[int], strides: list[int], dilations: list[int]
               ) -> tuple[list[int], list[int]]:
    """Begin and end padding that make a floor-mode torch pooling give ONNX's output size (its own
    ceil mode and SAME padding included)."""
    spatial = len(kernel)
    sizes = list(x.shape[2:])
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilations)]
    auto = node.attr("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        outs = [-(-n // s) for n, s in zip(sizes, strides)]
        total = [max(0, (o - 1) * s + e - n) for o, s, e, n in zip(outs, strides, extent, sizes)]
        small = [t // 2 for t in total]
        begin = small if auto == "SAME_UPPER" else [t - h for t, h in zip(total, small)]
        return begin, [t - b for t, b in zip(total, begin)]
    pads = [0] * 2 * spatial if auto == "VALID" else list(node.attr("pads", [0] * 2 * spatial))
    begin, end = pads[:spatial], pads[spatial:]
    if node.attr("ceil_mode", 0):
        outs = [-(-(n + b + e - ex) // s) + 1 for n, b, e, ex, s in zip(sizes, begin, end, extent, strides)]
        end = [max(e, (o - 1) * s + ex - n - b) for o, s, ex, n, b, e in zip(outs, strides, extent, sizes, begin, end)]
    return begin, end


def _max_pool(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    x = args[0]
    assert x is not None
    if len(node.outputs) > 1 and node.outputs[1]:
        raise DreamError(f"the torch backend cannot run max pooling that outputs its indices ({node.label})")
    kernel = [int(k) for k in node.attrs["kernel_shape"]]
    spatial = len(kernel)
    strides = list(node.attr("strides", [1] * spatial))
    dilations = list(node.attr("dilations", [1] * spatial))
    begin, end = _pool_pads(node, x, kernel, strides, dilations)
    if any(begin + end):
        x = F.pad(x, [p for axis in reversed(range(spatial)) for p in (begin[axis], end[axis])], value=-math.inf)
    pool = (F.max_pool1d, F.max_pool2d, F.max_pool3d)[spatial - 1]
    return pool(x, kernel, strides, 0, dilations)


def _conv(node: Node, args: list[Any]) -> Tensor:
    x, weight = args[0], args[1]
    assert x is not None and weight is not None
    bias = args[2] if len(args) > 2 else None
    spatial = weight.dim() - 2
    auto = node.attr("auto_pad", "NOTSET")
    if auto not in ("NOTSET", "VALID"):
        raise DreamError(f"the torch backend cannot run convolutions with {auto} padding ({node.label})")
    pads = [0] * 2 * spatial if auto == "VALID" else list(node.attr("pads", [0] * 2 * spatial))
    begin, end = pads[:spatial], pads[spatial:]
    if isinstance(x, Padded):
        begin = [a + b for a, b in zip(begin, x.begin)]
        end = [a + b for a, b in zip(end, x.end)]
        x = x.tensor
    if begin != end:
        x = F.pad(x, [p for axis in reversed(range(spatial)) for p in (begin[axis], end[axis])])
        begin = [0] * spatial
    conv = (F.conv1d, F.conv2d, F.conv3d)[spatial - 1]
    return conv(x, weight, bias, list(node.attr("strides", [1] * spatial)), begin,
                list(node.attr("dilations", [1] * spatial)), int(node.attr("group", 1)))


def _gemm(node: Node, args: list[Optional[Tensor]]) -> Tensor:
    a, b = args[0], args[1]
    assert a is not None and b is not None
    c = args[2] if len(args) > 2 else None
    a = a.t() if node.attr("transA", 0) else a
    b = b.t() if node.attr("transB", 0) else b
    y = float(node.attr("alpha", 1.0)) * (a @ b)
    return y if c is None else y + float(node.attr("beta", 1.0)) * c


def _unary(fn: Callable[[Tensor], Tensor]) -> Callable[[Node, list[Optional[Tensor]]], Tensor]:
    def run(node: Node, args: list[Optional[Tensor]]) -> Tensor:
        assert args[0] is not None
        return fn(args[0])

    return run


OPS: dict[str, Callable[[Node, list[Any]], Any]] = {
    # the operators the gradient graph differentiates (onnx_grad), on the picture's path
    "Relu": _unary(F.relu), "Clip": _clip,
    "LeakyRelu": lambda node, args: F.leaky_relu(args[0], float(node.attr("alpha", 0.01))),
    "Sigmoid": _unary(torch.sigmoid), "Identity": _unary(lambda x: x), "Dropout": _dropout,
    "Add": _binary(torch.add), "Sub": _binary(torch.sub), "Mul": _binary(torch.mul), "Div": _binary(_div),
    "Neg": _unary(torch.neg), "BatchNormalization": _batch_norm,
    "Reshape": _reshape, "Flatten": _flatten, "Squeeze": _squeeze, "Unsqueeze": _unsqueeze,
    "Transpose": _transpose, "Gather": _gather, "Concat": _concat, "Pad": _pad,
    "ReduceMean": _reduce_mean, "GlobalAveragePool": _global_average_pool, "MaxPool": _max_pool,
    "Conv": _conv, "Gemm": _gemm, "MatMul": _binary(torch.matmul),
    # what exporters compute shapes and padding with
    "Shape": _shape, "Size": lambda node, args: torch.tensor(args[0].numel()),
    "Cast": _cast, "Slice": _slice, "ConstantOfShape": _constant_of_shape, "Expand": _expand,
    "Equal": _binary(torch.eq), "Greater": _binary(torch.gt), "Less": _binary(torch.lt),
    "Where": _where, "Range": _range, "Not": _unary(torch.logical_not),
    "Floor": _unary(torch.floor), "Ceil": _unary(torch.ceil), "Abs": _unary(torch.abs),
    "Max": _binary(torch.maximum), "Min": _binary(torch.minimum),
}
SUPPORTED = frozenset(OPS) | {"Constant"}


_CONSTANT_TYPES = {"value_float": np.float32, "value_floats": np.float32, "value_int": np.int64,
                   "value_ints": np.int64}


def _constant(node: Node) -> np.ndarray:
    """A Constant node's value, whichever of its attributes holds it."""
    for name, value in node.attrs.items():
        if name == "value":
            return np.asarray(value)
        if name in _CONSTANT_TYPES:
            return np.asarray(value, _CONSTANT_TYPES[name])
    raise DreamError(f"the torch backend cannot read the constant {node.label} ({', '.join(node.attrs)})")


def _picture_dependent(nodes: Sequence[Node], input_name: str) -> set[str]:
    """Tensors computed from the picture's values (a shape is not: it depends only on its size)."""
    dependent = {input_name}
    for node in nodes:
        if node.op_type not in ("Shape", "Size") and any(i in dependent for i in node.inputs):
            dependent.update(o for o in node.outputs if o)
    return dependent


def _needed(nodes: Sequence[Node], output: str) -> list[int]:
    """The indices of the nodes ``output`` is computed from, in graph order."""
    wanted = {output}
    kept = []
    for index in reversed(range(len(nodes))):
        if any(o in wanted for o in nodes[index].outputs):
            kept.append(index)
            wanted.update(i for i in nodes[index].inputs if i)
    return kept[::-1]


class OnnxNetwork(nn.Module):
    """A forward ONNX graph as a torch module: ``forward(x)`` is the graph's ``output`` for the
    picture input ``x``; node ``i`` of the graph is the submodule ``nodes.i``."""

    def __init__(self, model: Any, input_name: str, output: str) -> None:
        super().__init__()
        onnx = _onnx()
        self.input = input_name
        self.output = output
        self.nodes = nn.ModuleList(Node(n, i) for i, n in enumerate(model.graph.node))
        nodes: list[Node] = list(self.nodes)  # type: ignore[arg-type]
        values = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
        values.update({n.outputs[0]: _constant(n) for n in nodes if n.op_type == "Constant"})
        plan = [i for i in _needed(nodes, output) if nodes[i].op_type != "Constant"]
        missing = sorted({nodes[i].op_type for i in plan} - SUPPORTED)
        if missing:
            raise DreamError(f"the torch backend cannot run the operator {', '.join(missing)}; "
                             "dream this model with --backend onnx")
        dependent = _picture_dependent(nodes, input_name)
        readers: dict[str, list[tuple[Node, int]]] = {}
        for i in plan:
            for position, name in enumerate(nodes[i].inputs):
                readers.setdefault(name, []).append((nodes[i], position))
        for i in plan:
            found = readers.get(nodes[i].outputs[0], [])
            nodes[i].into_conv = (nodes[i].op_type == "Pad" and nodes[i].outputs[0] != output and len(found) == 1
                                  and found[0][0].op_type == "Conv" and found[0][1] == 0)
        self._dynamic = {i: bool(set(nodes[i].outputs) & dependent) for i in plan}
        weights = {name for i in plan if self._dynamic[i] for name in nodes[i].inputs}
        self._fixed: dict[str, Tensor] = {}  # constants for shape arithmetic: always on the CPU
        self._buffers_of: dict[str, str] = {}  # weights: buffers, so they move with the module
        for name, value in values.items():
            tensor = torch.from_numpy(np.array(value))
            if name in weights and tensor.is_floating_point() and tensor.dim() > 0:
                key = f"w{len(self._buffers_of)}"
                self.register_buffer(key, tensor, persistent=False)
                self._buffers_of[name] = key
            else:
                self._fixed[name] = tensor
        last_use: dict[str, int] = {}
        for step, index in enumerate(plan):
            for name in nodes[index].inputs:
                last_use[name] = step
        self._plan = [(index, [n for n in nodes[index].inputs if last_use.get(n) == step and n != output])
                      for step, index in enumerate(plan)]
        self._shapes: dict[tuple, dict[str, Tensor]] = {}
        self._shapes_lock = threading.Lock()  # lanes (engine/lanes.py) run forwards in two threads at once

    @classmethod
    def load(cls, path: Path, input_name: str, output: str) -> "OnnxNetwork":
        onnx = _onnx()
        try:
            model = onnx.load(str(path))
        except Exception as exc:  # protobuf's errors share no useful base class
            raise DreamError(f"{path} is not an ONNX model: {exc.__class__.__name__}") from None
        return cls(model, input_name, output)

    def _shape_values(self, x: Tensor) -> dict[str, Tensor]:
        key = (tuple(x.shape), str(x.device), x.dtype)
        with self._shapes_lock:
            if key not in self._shapes:
                while len(self._shapes) >= SHAPE_CACHE:
                    del self._shapes[next(iter(self._shapes))]
                self._shapes[key] = {}
            return self._shapes[key]

    def forward(self, x: Tensor) -> Tensor:
        shapes = self._shape_values(x)
        env: dict[str, Tensor] = {self.input: x}

        def value(name: str) -> Optional[Tensor]:
            if not name:
                return None
            if name in env:
                return env[name]
            if name in shapes:
                return shapes[name]
            if name in self._buffers_of:
                return getattr(self, self._buffers_of[name])
            return self._fixed[name]

        for index, done in self._plan:
            node: Node = self.nodes[index]  # type: ignore[assignment]
            dynamic = self._dynamic[index]
            if not dynamic and all(o in shapes for o in node.outputs if o):
                continue
            args = [value(name) for name in node.inputs]
            result = node(*args) if dynamic else node.forward(*args)  # hooks only where activations flow
            outputs = result if isinstance(result, tuple) else (result,)
            target = env if dynamic else shapes
            target.update((name, out) for name, out in zip(node.outputs, outputs) if name)
            for name in done:
                env.pop(name, None)
        return env[self.output] if self.output in env else shapes[self.output]
