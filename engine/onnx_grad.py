"""A forward ONNX classifier made into a gradient graph, in ONNX itself: no torch needed.

ONNX Runtime cannot differentiate, so this appends the backward pass to the forward graph node
by node (reverse mode, as an autograd would), for the operators image classifiers are made of:
convolutions, activations, pooling, padding, concatenation, elementwise arithmetic, reshapes and
the classifier head. The result has the inputs and outputs of a graph from ``export-onnx``
(``image``, per-layer ``L.amplify`` and ``L.channels``, ``logits.classes``; ``value`` and
``gradient``), so the onnx backend dreams with it like with any other.

Shapes are learnt by running the forward graph at two sizes: which tensors depend on the picture,
their ranks, and which axes an operand broadcasts along.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np

from .errors import DreamError

FLOAT = 1  # onnx.TensorProto.FLOAT
PROBES = ((224, 224), (193, 257))  # two sizes, odd and even, so every picture-sized axis changes


@dataclass(frozen=True)
class Target:
    """A tensor the objective reads: a layer's activation or the logits."""

    name: str  # what users call it
    tensor: str  # the graph's tensor
    channels: int
    stride: int


def load_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise DreamError("importing an ONNX classifier needs the onnx package: pip install onnx") from None
    return onnx


@dataclass
class _Shapes:
    """Each float tensor's shape at the two probe sizes."""

    at: list[dict[str, tuple[int, ...]]] = field(default_factory=list)

    def rank(self, name: str) -> int:
        return len(self.at[0][name])

    def known(self, name: str) -> bool:
        return name in self.at[0]

    def varies(self, name: str) -> bool:
        return self.at[0][name] != self.at[1][name]

    def broadcast_axes(self, operand: str, output: str) -> Optional[list[int]]:
        """Axes of ``output`` an operand was broadcast along (None: it has the output's shape)."""
        outs = [shapes[output] for shapes in self.at]
        ins = [shapes[operand] for shapes in self.at]
        if ins == outs:
            return None
        rank = len(outs[0])
        axes = []
        for axis in range(rank):
            offset = axis - (rank - len(ins[0]))
            sizes = [s[offset] if offset >= 0 else 1 for s in ins]
            if any(i != o for i, o in zip(sizes, (s[axis] for s in outs))):
                axes.append(axis)
        return axes


def probe_shapes(model: Any, input_name: str) -> _Shapes:
    """Run the forward graph at PROBES sizes, every float tensor an output, and note shapes."""
    import onnxruntime as ort

    onnx = load_onnx()
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    existing = {o.name for o in probe.graph.output}
    for node in probe.graph.node:
        for out in node.output:
            if out and out not in existing:
                probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(out))
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    shapes = _Shapes()
    for height, width in PROBES:
        picture = np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32)
        values = session.run(names, {input_name: picture})
        shapes.at.append({n: tuple(v.shape) for n, v in zip(names, values)
                          if isinstance(v, np.ndarray) and v.dtype == np.float32})
        shapes.at[-1][input_name] = picture.shape
    return shapes


class _Graph:
    """Nodes and initializers appended to a copy of the forward graph."""

    def __init__(self, model: Any) -> None:
        self.onnx = load_onnx()
        self.model = model
        self.graph = model.graph
        self._count = 0
        self.initializers = {t.name: t for t in self.graph.initializer}
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.constants = {n.output[0]: n for n in self.graph.node if n.op_type == "Constant"}

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"grad/{hint}_{self._count}"

    def add(self, op: str, inputs: Sequence[str], hint: str = "", outputs: int = 1, **attrs: Any) -> Any:
        names = [self.fresh(hint or op.lower()) for _ in range(outputs)]
        self.graph.node.append(self.onnx.helper.make_node(op, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def reduce_mean(self, tensor: str, axes: Sequence[int], keepdims: int) -> str:
        """ReduceMean, whose axes became an input in opset 18."""
        if self.opset >= 18:
            return self.add("ReduceMean", [tensor, self.const(np.array(axes, np.int64))], keepdims=keepdims)
        return self.add("ReduceMean", [tensor], axes=list(axes), keepdims=keepdims)

    def const(self, value: Any, hint: str = "const") -> str:
        name = self.fresh(hint)
        self.graph.initializer.append(self.onnx.numpy_helper.from_array(np.asarray(value), name))
        return name

    def array(self, name: str) -> Optional[np.ndarray]:
        """The value of a constant input (an initializer or a Constant node), else None."""
        if name in self.initializers:
            return self.onnx.numpy_helper.to_array(self.initializers[name])
        node = self.constants.get(name)
        if node is not None:
            return self.onnx.numpy_helper.to_array(node.attribute[0].t)
        return None

    def attrs(self, node: Any) -> dict[str, Any]:
        return {a.name: self.onnx.helper.get_attribute_value(a) for a in node.attribute}


def _sum_to(g: _Graph, grad: str, operand: str, output: str, shapes: _Shapes) -> str:
    """``grad`` (output-shaped) summed over the axes ``operand`` was broadcast along, in its shape."""
    axes = shapes.broadcast_axes(operand, output)
    if axes is None:
        return grad
    summed = g.add("ReduceSum", [grad, g.const(np.array(axes, np.int64), "axes")], keepdims=1) if axes else grad
    return g.add("Reshape", [summed, g.add("Shape", [operand])])


class _Backward:
    """Reverse mode over the nodes between the picture and the targets."""

    def __init__(self, g: _Graph, shapes: _Shapes, needs: set[str]) -> None:
        self.g = g
        self.shapes = shapes
        self.needs = needs  # float tensors that depend on the picture
        self.grads: dict[str, str] = {}

    def accumulate(self, tensor: str, grad: str) -> None:
        if tensor not in self.needs:
            return
        if tensor in self.grads:
            grad = self.g.add("Add", [self.grads[tensor], grad], "sum")
        self.grads[tensor] = grad

    def run(self, nodes: list[Any]) -> None:
        for node in reversed(nodes):
            grads = [self.grads.get(out) for out in node.output]
            if grads[0] is None or not any(i in self.needs for i in node.input):
                continue
            method = getattr(self, f"_{node.op_type.lower()}", None)
            if method is None:
                raise DreamError(f"cannot make a gradient graph: the operator {node.op_type} "
                                 f"({node.name or 'unnamed'}) is not supported")
            method(node, grads[0])

    # -- activations ----------------------------------------------------------------------------

    def _mask(self, node: Any, grad: str, low: Optional[str], high: Optional[str]) -> None:
        g, y = self.g, node.output[0]
        keep = None
        if low is not None:
            keep = g.add("Greater", [y, low])
        if high is not None:
            below = g.add("Less", [y, high])
            keep = below if keep is None else g.add("And", [keep, below])
        if keep is None:
            self.accumulate(node.input[0], grad)
            return
        self.accumulate(node.input[0], g.add("Mul", [grad, g.add("Cast", [keep], to=FLOAT)], "masked"))

    def _relu(self, node: Any, grad: str) -> None:
        self._mask(node, grad, self.g.const(np.float32(0)), None)

    def _clip(self, node: Any, grad: str) -> None:
        attrs = self.g.attrs(node)
        inputs = list(node.input) + ["", ""]
        low = inputs[1] or (self.g.const(np.float32(attrs["min"])) if "min" in attrs else None)
        high = inputs[2] or (self.g.const(np.float32(attrs["max"])) if "max" in attrs else None)
        self._mask(node, grad, low, high)

    def _leakyrelu(self, node: Any, grad: str) -> None:
        g = self.g
        alpha = float(g.attrs(node).get("alpha", 0.01))
        slope = g.add("Where", [g.add("Greater", [node.input[0], g.const(np.float32(0))]), g.const(np.float32(1)),
                                g.const(np.float32(alpha))])
        self.accumulate(node.input[0], g.add("Mul", [grad, slope]))

    def _sigmoid(self, node: Any, grad: str) -> None:
        g, y = self.g, node.output[0]
        slope = g.add("Mul", [y, g.add("Sub", [g.const(np.float32(1)), y])])
        self.accumulate(node.input[0], g.add("Mul", [grad, slope]))

    def _identity(self, node: Any, grad: str) -> None:
        self.accumulate(node.input[0], grad)

    _dropout = _identity

    # -- arithmetic -----------------------------------------------------------------------------

    def _add(self, node: Any, grad: str) -> None:
        for operand in node.input:
            if operand in self.needs:
                self.accumulate(operand, _sum_to(self.g, grad, operand, node.output[0], self.shapes))

    def _sub(self, node: Any, grad: str) -> None:
        a, b = node.input
        if a in self.needs:
            self.accumulate(a, _sum_to(self.g, grad, a, node.output[0], self.shapes))
        if b in self.needs:
            self.accumulate(b, _sum_to(self.g, self.g.add("Neg", [grad]), b, node.output[0], self.shapes))

    def _mul(self, node: Any, grad: str) -> None:
        a, b = node.input
        for this, other in ((a, b), (b, a)):
            if this in self.needs:
                self.accumulate(this, _sum_to(self.g, self.g.add("Mul", [grad, other]), this, node.output[0],
                                              self.shapes))

    def _div(self, node: Any, grad: str) -> None:
        a, b = node.input
        if b in self.needs:
            raise DreamError("cannot make a gradient graph: a division by a picture-dependent tensor")
        self.accumulate(a, _sum_to(self.g, self.g.add("Div", [grad, b]), a, node.output[0], self.shapes))

    def _neg(self, node: Any, grad: str) -> None:
        self.accumulate(node.input[0], self.g.add("Neg", [grad]))

    def _batchnormalization(self, node: Any, grad: str) -> None:
        g = self.g
        scale, var = g.array(node.input[1]), g.array(node.input[4])
        if scale is None or var is None:
            raise DreamError("cannot make a gradient graph: a batch norm with computed statistics")
        eps = float(g.attrs(node).get("epsilon", 1e-5))
        factor = (scale / np.sqrt(var + eps)).astype(np.float32)
        shape = [1, -1] + [1] * (self.shapes.rank(node.input[0]) - 2)
        self.accumulate(node.input[0], g.add("Mul", [grad, g.const(factor.reshape(shape))]))

    # -- shapes ---------------------------------------------------------------------------------

    def _reshape(self, node: Any, grad: str) -> None:
        self.accumulate(node.input[0], self.g.add("Reshape", [grad, self.g.add("Shape", [node.input[0]])]))

    _flatten = _reshape
    _squeeze = _reshape
    _unsqueeze = _reshape

    def _transpose(self, node: Any, grad: str) -> None:
        perm = list(self.g.attrs(node).get("perm", reversed(range(self.shapes.rank(node.input[0])))))
        self.accumulate(node.input[0], self.g.add("Transpose", [grad], perm=[int(i) for i in np.argsort(perm)]))

    def _gather(self, node: Any, grad: str) -> None:
        """Picking entries along an axis by constant indices (torch's ``x[:, 0]``): each source
        entry's gradient is the sum of the picks of it, zero where none was picked."""
        g = self.g
        indices = g.array(node.input[1])
        if indices is None or indices.ndim > 1:
            raise DreamError("cannot make a gradient graph: Gather with computed or multi-dimensional indices")
        source = node.input[0]
        rank = self.shapes.rank(source)
        axis = int(g.attrs(node).get("axis", 0)) % rank
        length = self.shapes.at[0][source][axis]
        picks = g.add("Unsqueeze", [grad, g.const(np.array([axis], np.int64))]) if indices.ndim == 0 else grad
        flat = indices.reshape(-1) % length
        zero = None
        parts = []
        for j in range(length):
            chosen = [g.add("Slice", [picks, g.const(np.array([k], np.int64)), g.const(np.array([k + 1], np.int64)),
                                      g.const(np.array([axis], np.int64))]) for k in np.flatnonzero(flat == j)]
            if not chosen:
                if zero is None:
                    one = g.add("Slice", [picks, g.const(np.array([0], np.int64)), g.const(np.array([1], np.int64)),
                                          g.const(np.array([axis], np.int64))])
                    zero = g.add("Mul", [one, g.const(np.float32(0))])
                chosen = [zero]
            total = chosen[0]
            for more in chosen[1:]:
                total = g.add("Add", [total, more])
            parts.append(total)
        self.accumulate(source, g.add("Concat", parts, axis=axis))

    def _concat(self, node: Any, grad: str) -> None:
        g = self.g
        axis = int(g.attrs(node)["axis"])
        axis = axis % self.shapes.rank(node.output[0])
        sizes = [g.add("Slice", [g.add("Shape", [i]), g.const(np.array([axis], np.int64)),
                                 g.const(np.array([axis + 1], np.int64))]) for i in node.input]
        parts = g.add("Split", [grad, g.add("Concat", sizes, axis=0)], outputs=len(node.input), axis=axis)
        parts = parts if isinstance(parts, list) else [parts]
        for operand, part in zip(node.input, parts):
            self.accumulate(operand, part)

    def _pad(self, node: Any, grad: str) -> None:
        g = self.g
        attrs = g.attrs(node)
        if attrs.get("mode", b"constant") not in (b"constant", "constant"):
            raise DreamError(f"cannot make a gradient graph: {attrs['mode']!r} padding is not supported")
        if len(node.input) > 3 and node.input[3]:
            raise DreamError("cannot make a gradient graph: padding of chosen axes is not supported")
        rank = self.shapes.rank(node.input[0])
        pads = node.input[1] if len(node.input) > 1 and node.input[1] else g.const(np.array(attrs["pads"], np.int64))
        starts = g.add("Slice", [pads, g.const(np.array([0], np.int64)), g.const(np.array([rank], np.int64))])
        ends = g.add("Sub", [g.add("Shape", [grad]), g.add("Slice", [pads, g.const(np.array([rank], np.int64)),
                                                                     g.const(np.array([2 * rank], np.int64))])])
        self.accumulate(node.input[0], g.add("Slice", [grad, starts, ends]))

    # -- reductions and pooling -----------------------------------------------------------------

    def _spread(self, grad: str, source: str) -> str:
        """A gradient of a mean (reduced axes kept, as size 1) spread evenly back over ``source``."""
        g = self.g
        count = g.add("Cast", [g.add("Div", [g.add("Size", [source]), g.add("Size", [grad])])], to=FLOAT)
        return g.add("Div", [g.add("Expand", [grad, g.add("Shape", [source])]), count])

    def _reducemean(self, node: Any, grad: str) -> None:
        attrs = self.g.attrs(node)
        rank = self.shapes.rank(node.input[0])
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.g.array(node.input[1])
        axes = list(range(rank)) if axes is None else [int(a) % rank for a in axes]
        if not attrs.get("keepdims", 1):
            grad = self.g.add("Unsqueeze", [grad, self.g.const(np.array(axes, np.int64))])
        self.accumulate(node.input[0], self._spread(grad, node.input[0]))

    def _globalaveragepool(self, node: Any, grad: str) -> None:
        self.accumulate(node.input[0], self._spread(grad, node.input[0]))

    def _maxpool(self, node: Any, grad: str) -> None:
        g = self.g
        if len(node.output) < 2 or not node.output[1]:
            raise DreamError("cannot make a gradient graph: max pooling without its indices")
        line = g.const(np.array([-1], np.int64))
        flat = g.add("Reshape", [g.add("Mul", [node.input[0], g.const(np.float32(0))]), line])
        indices = g.add("Reshape", [node.output[1], line])
        values = g.add("Reshape", [grad, line])
        scattered = g.add("ScatterElements", [flat, indices, values], axis=0, reduction="add")
        self.accumulate(node.input[0], g.add("Reshape", [scattered, g.add("Shape", [node.input[0]])]))

    # -- convolutions and matrix products -------------------------------------------------------

    def _conv(self, node: Any, grad: str) -> None:
        g = self.g
        weight = g.array(node.input[1])
        if weight is None:
            raise DreamError("cannot make a gradient graph: a convolution with computed weights")
        attrs = g.attrs(node)
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            raise DreamError("cannot make a gradient graph: SAME auto padding is not supported")
        spatial = weight.ndim - 2
        strides = list(attrs.get("strides", [1] * spatial))
        dilations = list(attrs.get("dilations", [1] * spatial))
        pads = list(attrs.get("pads", [0] * 2 * spatial))
        group = int(attrs.get("group", 1))
        x = node.input[0]
        if all(s == 1 for s in strides):  # a plain convolution: fast in ONNX Runtime, ConvTranspose is not
            flipped = np.flip(weight.reshape(group, -1, *weight.shape[1:]).swapaxes(1, 2), tuple(
                range(3, 3 + spatial))).reshape(-1, weight.shape[0] // group, *weight.shape[2:])
            back = [d * (k - 1) - p for k, p, d in zip(weight.shape[2:], pads[:spatial], dilations)]
            back_end = [d * (k - 1) - p for k, p, d in zip(weight.shape[2:], pads[spatial:], dilations)]
            if min(back + back_end) >= 0:
                out = g.add("Conv", [grad, g.const(np.ascontiguousarray(flipped, np.float32), "flipped")],
                            strides=[1] * spatial, dilations=dilations, pads=back + back_end, group=group)
                self.accumulate(x, out)
                return
        out = g.add("ConvTranspose", [grad, node.input[1]], strides=strides, dilations=dilations, pads=pads,
                    group=group, output_padding=[s - 1 for s in strides])
        rank = spatial + 2
        ends = g.add("Shape", [x])
        cropped = g.add("Slice", [out, g.const(np.zeros(rank, np.int64)), ends])
        self.accumulate(x, cropped)

    def _gemm(self, node: Any, grad: str) -> None:
        g = self.g
        attrs = g.attrs(node)
        if int(attrs.get("transA", 0)):
            raise DreamError("cannot make a gradient graph: Gemm with transA")
        b = node.input[1]
        product = g.add("Gemm", [grad, b], transB=0 if int(attrs.get("transB", 0)) else 1,
                        alpha=float(attrs.get("alpha", 1.0)))
        self.accumulate(node.input[0], product)

    def _matmul(self, node: Any, grad: str) -> None:
        g = self.g
        a, b = node.input
        if b in self.needs:
            raise DreamError("cannot make a gradient graph: a product of two picture-dependent tensors")
        known = g.array(b)
        rank = len(self.shapes.at[0].get(b, ())) or (known.ndim if known is not None else 2)
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        self.accumulate(a, _sum_to(g, g.add("MatMul", [grad, g.add("Transpose", [b], perm=perm)]), a,
                                   node.output[0], self.shapes))


def _picture_dependent(model: Any, input_name: str, shapes: _Shapes) -> set[str]:
    """Float tensors computed from the picture (the ones a gradient flows through)."""
    needs = {input_name}
    for node in model.graph.node:
        if node.op_type in ("Shape", "Size"):
            continue
        if any(i in needs for i in node.input):
            needs.update(out for out in node.output if out and shapes.known(out))
    return needs


def _with_pool_indices(model: Any) -> None:
    """Max pools also output their argmax indices, which their backward scatters to."""
    for node in model.graph.node:
        if node.op_type == "MaxPool" and (len(node.output) < 2 or not node.output[1]):
            if len(node.output) < 2:
                node.output.append(f"{node.output[0]}/indices")
            else:
                node.output[1] = f"{node.output[0]}/indices"


def gradient_graph(model: Any, input_name: str, targets: list[Target], mean: Sequence[float], std: Sequence[float],
                   bgr: bool = False) -> Any:
    """A copy of ``model`` that takes ``image`` (1 x 3 x H x W RGB in [0, 1]), applies the
    preprocessing ``(x - mean) / std`` (channels reversed first if ``bgr``) and outputs the
    objective ``value`` over ``targets`` and its ``gradient`` with respect to the image."""
    onnx = load_onnx()
    model = onnx.ModelProto().__class__.FromString(model.SerializeToString())
    _with_pool_indices(model)
    shapes = probe_shapes(model, input_name)
    g = _Graph(model)
    graph = model.graph
    forward = list(graph.node)

    needs = _picture_dependent(model, input_name, shapes)
    for t in targets:
        if t.tensor not in needs:
            raise DreamError(f"the tensor {t.tensor} of {t.name} does not depend on the picture")

    # the objective and its gradient with respect to each target
    value_terms: list[str] = []
    inputs = []
    backward = _Backward(g, shapes, needs)
    for t in targets:
        if t.name == "logits":
            weights = "logits.classes"
            inputs.append(onnx.helper.make_tensor_value_info(weights, FLOAT, [t.channels]))
            mean_logit = g.reduce_mean(t.tensor, [0], keepdims=0)
            value_terms.append(g.add("ReduceSum", [g.add("Mul", [mean_logit, weights])], keepdims=0))
            count = g.add("Cast", [g.add("Gather", [g.add("Shape", [t.tensor]), g.const(np.int64(0))])], to=FLOAT)
            backward.accumulate(t.tensor, g.add("Expand", [g.add("Div", [weights, count]), g.add("Shape", [t.tensor])]))
            continue
        amplify, channels = f"{t.name}.amplify", f"{t.name}.channels"
        inputs += [onnx.helper.make_tensor_value_info(amplify, FLOAT, []),
                   onnx.helper.make_tensor_value_info(channels, FLOAT, [t.channels])]
        a = t.tensor
        size = g.add("Cast", [g.add("Size", [a])], to=FLOAT)
        squares = g.add("Div", [g.add("ReduceSum", [g.add("Mul", [a, a])], keepdims=0), size])
        per_channel = g.reduce_mean(a, [0, 2, 3], keepdims=0)
        value_terms.append(g.add("Add", [g.add("Mul", [amplify, squares]),
                                         g.add("ReduceSum", [g.add("Mul", [channels, per_channel])], keepdims=0)]))
        # d/da: amplify * 2a / size + channels[c] * C / size
        c = g.const(np.float32(t.channels))
        grow = g.add("Div", [g.add("Mul", [g.add("Mul", [amplify, g.const(np.float32(2))]), a]), size])
        spread = g.add("Div", [g.add("Mul", [g.add("Reshape", [channels, g.const(np.array([1, -1, 1, 1], np.int64))]),
                                             c]), size])
        backward.accumulate(a, g.add("Add", [grow, spread]))
    value = value_terms[0]
    for term in value_terms[1:]:
        value = g.add("Add", [value, term])

    backward.run(forward)
    if input_name not in backward.grads:
        raise DreamError("cannot make a gradient graph: no target depends on the picture")

    # the picture in [0, 1] becomes the network's input; the gradient is taken back through it
    image = "image"
    order = g.const(np.array([2, 1, 0] if bgr else [0, 1, 2], np.int64))
    scale = (1 / np.asarray(std, np.float32)).reshape(1, 3, 1, 1)
    shift = (-np.asarray(mean, np.float32) / np.asarray(std, np.float32)).reshape(1, 3, 1, 1)
    preprocess = [
        onnx.helper.make_node("Gather", [image, order], ["pre/ordered"], axis=1),
        onnx.helper.make_node("Mul", ["pre/ordered", g.const(scale.astype(np.float32))], ["pre/scaled"]),
        onnx.helper.make_node("Add", ["pre/scaled", g.const(shift.astype(np.float32))], [input_name]),
    ]
    grad_in = g.add("Mul", [backward.grads[input_name], g.const(scale.astype(np.float32))])
    gradient = g.add("Gather", [grad_in, order], axis=1)  # the permutation is its own inverse

    old_inputs = [i for i in graph.input if i.name != input_name]
    del graph.input[:]
    graph.input.extend([onnx.helper.make_tensor_value_info(image, FLOAT, [1, 3, "height", "width"])] + inputs
                       + [i for i in old_inputs if i.name not in g.initializers])
    nodes = preprocess + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    graph.node.extend([onnx.helper.make_node("Identity", [value], ["value"]),
                       onnx.helper.make_node("Identity", [gradient], ["gradient"])])
    del graph.output[:]
    graph.output.extend([onnx.helper.make_tensor_value_info("value", FLOAT, []),
                         onnx.helper.make_tensor_value_info("gradient", FLOAT, [1, 3, "height", "width"])])
    prune(graph)
    return model


def prune(graph: Any) -> None:
    """Drop the nodes and initializers no output needs (the forward past the deepest target)."""
    wanted = {o.name for o in graph.output}
    kept = []
    for node in reversed(list(graph.node)):
        if any(out in wanted for out in node.output):
            kept.append(node)
            wanted.update(i for i in node.input if i)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    unused = [t for t in graph.initializer if t.name not in wanted]
    for tensor in unused:
        graph.initializer.remove(tensor)
