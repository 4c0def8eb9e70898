"""Export a network's *gradient graph* to ONNX, so plain ONNX Runtime (no torch) can dream with it.

ONNX Runtime cannot differentiate, so the graph computes the objective and its input gradient
itself: the forward and backward are traced to core ATen ops with symbolic height and width
(``make_fx``), then exported with ``torch.export`` and ``torch.onnx.export(dynamo=True)``.

Inputs: ``image`` (1 x 3 x H x W, RGB in [0, 1]; the model's preprocessing is inside the graph)
and, for each exported layer L, ``L.amplify`` (a scalar weight on the mean squared activation,
dreamlayer's layer objective) and ``L.channels`` (one weight per channel on the channel's mean
activation, dreamlayer's channel objective). Zeros switch a term off, so one file serves every
weighted sum of layer and channel terms over its layers. Outputs: ``value`` and ``gradient``
(d value / d image). Neuron, class and guide terms are not in the graph.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

import torch

from .errors import DreamError
from .files import replacing
from .models import registry, same_conv
from .models.efficientnet_lite import SameConv2d
from .models.network import LOGITS, DreamNet, build_network

AMPLIFY, CHANNELS, CLASSES = "amplify", "channels", "classes"


@dataclass(frozen=True)
class ExportedLayer:
    name: str
    channels: int
    stride: int


def _input_gradient_of_convolution(grad: torch.Tensor, input: torch.Tensor, weight: torch.Tensor,
                                   bias_sizes: Any, stride: Sequence[int], padding: Sequence[int],
                                   dilation: Sequence[int], transposed: bool, output_padding: Sequence[int],
                                   groups: int, output_mask: Sequence[bool]
                                   ) -> tuple[Optional[torch.Tensor], None, None]:
    """``convolution_backward`` for the input only (the weights are frozen).

    Unstrided, it is a plain convolution with the kernel flipped and its in and out channels
    swapped per group: ONNX Runtime runs those (1x1 and depthwise alike) in its fast kernels,
    where a ConvTranspose costs several times as much. Strided, a transposed convolution, padded
    by ``stride - 1`` at the end so every input row a strided window could reach is produced,
    then cropped to the input's size.
    """
    if transposed or output_mask[1] or output_mask[2]:
        raise NotImplementedError("only the input gradient of a plain convolution is exported")
    if not output_mask[0]:
        return None, None, None
    kernel = weight.shape[2:]
    if all(s == 1 for s in stride):
        pads = [d * (k - 1) - p for k, p, d in zip(kernel, padding, dilation)]
        if min(pads) >= 0:
            swapped = weight.unflatten(0, (groups, -1)).transpose(1, 2).flatten(0, 1).flip(2, 3)
            g = torch.ops.aten.convolution.default(grad, swapped, None, [1, 1], pads, list(dilation), False,
                                                   [0, 0], groups)
            return g, None, None
    extra = [s - 1 for s in stride]
    g = torch.ops.aten.convolution.default(grad, weight, None, list(stride), list(padding), list(dilation), True,
                                           extra, groups)
    return g[:, :, :input.shape[2], :input.shape[3]], None, None


def _hardtanh_backward(grad: torch.Tensor, output: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """ReLU6's backward, ``grad`` where ``low < output < high`` and 0 elsewhere, written with
    per-channel 1x1 convolutions and products, which ONNX Runtime keeps in its blocked (NCHWc)
    layout between the convolutions around them. The stock decomposition's Where, and then
    comparisons and a cast, made it reorder each activation into plain NCHW and back: 20 % of a
    step's kernel time (measured with ONNX Runtime's profiler on a 512x384 step).
    ``(output - low) * (high - output)`` is positive exactly inside; scaled by 1e30 and clipped to
    [0, 1] it is the 0/1 mask (an output within 1e-30 of a bound, never met in practice, would get
    a fraction)."""
    channels = output.shape[1]
    ones = torch.ones(channels, 1, 1, 1, dtype=output.dtype)

    def per_channel(x: torch.Tensor, weight: float, bias: float) -> torch.Tensor:
        return torch.ops.aten.convolution.default(x, ones * weight, torch.full((channels,), bias, dtype=x.dtype),
                                                  [1, 1], [0, 0], [1, 1], False, [0, 0], channels)

    above = output if low == 0 else per_channel(output, 1.0, -low)
    inside = above * per_channel(output, -1.0, high)
    return grad * per_channel(inside, 1e30, 0.0).clamp(0, 1)


def _translations() -> dict:
    """ONNX for the SAME convolution operator (``models/same_conv.py``) and its input gradient.

    Forward, ``Conv`` with ``auto_pad=SAME_UPPER``: ONNX Runtime pads by the input's size inside
    its blocked-layout kernel, with no padded copy. Backward, the full transposed convolution
    (every input row any window touched), then one crop at SAME's leading padding, computed from
    the input's size. A depthwise one with stride 2 and an odd kernel (every strided layer of
    EfficientNet-Lite and MobileNet) is zeros inserted between the gradient's pixels and a plain
    depthwise convolution with the kernel flipped, with no crop: ONNX Runtime's grouped
    ConvTranspose runs one small matrix product per channel, several times slower.
    """
    from onnxscript import opset18

    op: Any = opset18  # the typed opset's unions of tensor types defeat mypy on shape arithmetic

    def conv_same(x: Any, weight: Any, bias: Any, stride: Sequence[int], groups: int) -> Any:
        inputs = (x, weight) if bias is None else (x, weight, bias)
        return op.Conv(*inputs, auto_pad="SAME_UPPER", strides=list(stride), group=groups)

    def conv_same_input_grad(grad: Any, size: Any, weight: Any, stride: Sequence[int], groups: int) -> Any:
        size = op.Concat(*[op.Reshape(s, op.Constant(value_ints=[1])) for s in size], axis=0)
        kernel = weight.shape[2:] if weight.shape is not None else None
        depthwise = groups > 1 and weight.shape is not None and weight.shape[1] == 1
        if depthwise and list(stride) == [2, 2] and kernel is not None and all(k % 2 for k in kernel):
            return _strided_depthwise_input_grad(grad, size, weight, groups, kernel)
        kernel = op.Shape(weight, start=2, end=4)
        steps, one = op.Constant(value_ints=list(stride)), op.Constant(value_ints=[1, 1])
        outputs = op.Div(op.Sub(op.Add(size, steps), one), steps)  # ceil(size / stride)
        total = op.Max(op.Sub(op.Add(op.Mul(op.Sub(outputs, one), steps), kernel), size),
                       op.Constant(value_ints=[0, 0]))
        begin = op.Div(total, op.Constant(value_ints=[2, 2]))
        full = op.ConvTranspose(grad, weight, strides=list(stride), group=groups)
        return op.Slice(full, begin, op.Add(begin, size), op.Constant(value_ints=[2, 3]))

    def _strided_depthwise_input_grad(grad: Any, size: Any, weight: Any, groups: int, kernel: Sequence[int]) -> Any:
        """Zeros between the gradient's pixels, and one more zero row or column in front along an axis
        of even size (a transposed convolution with a 1x1 or 2-long kernel), then a depthwise
        convolution with the kernel flipped, padded by half of it on each side: SAME pads an even
        axis one less in front, hence the extra zero. The result has the input's size, with no
        crop, so the product with the ReLU6 mask after it stays in ONNX Runtime's blocked layout
        (a crop made it copy three tensors out of that layout and back, per strided layer)."""
        ones = op.Expand(op.Constant(value_float=1.0),
                         op.Concat(op.Shape(weight, start=0, end=1), op.Constant(value_ints=[1, 1, 1]), axis=0))
        even = op.Sub(op.Constant(value_ints=[1, 1]), op.Mod(size, op.Constant(value_ints=[2, 2])))
        zeros = op.Constant(value_ints=[0, 0])
        spreader = op.Pad(ones, op.Concat(zeros, even, zeros, zeros, axis=0))
        spread = op.ConvTranspose(grad, spreader, strides=[2, 2], group=groups)
        flipped = op.Slice(weight, op.Constant(value_ints=[-1, -1]), op.Constant(value_ints=[-2**63, -2**63]),
                           op.Constant(value_ints=[2, 3]), op.Constant(value_ints=[-1, -1]))
        half = [kernel[0] // 2, kernel[1] // 2]
        return op.Conv(spread, flipped, pads=half * 2, group=groups)

    return {same_conv.conv_same._opoverload: conv_same,
            same_conv.conv_same_input_grad._opoverload: conv_same_input_grad}


def _decompositions() -> dict:
    from torch._decomp import core_aten_decompositions, get_decompositions

    table = dict(core_aten_decompositions())
    table.update(get_decompositions([torch.ops.aten.max_pool2d_with_indices_backward]))
    table[torch.ops.aten.convolution_backward.default] = _input_gradient_of_convolution
    table[torch.ops.aten.hardtanh_backward.default] = _hardtanh_backward
    return table


def _layers_up_to(net: DreamNet, up_to: Optional[str]) -> list[str]:
    """The layers a graph exported up to ``up_to`` holds; all of them and the logits by default."""
    names = net.layer_names + [LOGITS]
    if up_to is None:
        return names
    net.check_layer(up_to)
    return names[:names.index(up_to) + 1]


def _objective_and_gradient(net: DreamNet, layers: list[str]) -> Any:
    def run(image: torch.Tensor, *weights: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        image = image.detach().requires_grad_(True)
        with torch.enable_grad():
            acts = net.activations(image, set(layers))
            terms = []
            for i, name in enumerate(layers):
                a = acts[name]
                if name == LOGITS:  # the last input: one weight per class on its mean logit
                    terms.append((weights[-1] * a.mean(0)).sum())
                    continue
                amplify, channels = weights[2 * i], weights[2 * i + 1]
                per_channel = a.mean([d for d in range(a.dim()) if d != 1])
                terms.append(amplify * (a * a).mean() + (channels * per_channel).sum())
            value = sum(terms[1:], terms[0])  # a chain of Adds, which onnx_specialize can cut a term out of
            (gradient,) = torch.autograd.grad(value, image)
        return value.detach(), gradient

    return run


def weight_inputs(shapes: list[ExportedLayer]) -> list[torch.Tensor]:
    """Example weights in the graph's input order: per layer amplify and channels, the classes last."""
    return [t for s in shapes for t in ((torch.zeros(s.channels),) if s.name == LOGITS
                                          else (torch.tensor(1.0), torch.zeros(s.channels)))]


def input_names(shapes: list[ExportedLayer]) -> list[str]:
    return ["image"] + [n for s in shapes for n in ((f"{LOGITS}.{CLASSES}",) if s.name == LOGITS
                                                      else (f"{s.name}.{AMPLIFY}", f"{s.name}.{CHANNELS}"))]


def _trace(net: DreamNet, layers: list[str], shapes: list[ExportedLayer]) -> torch.export.ExportedProgram:
    from torch.export import Dim
    from torch.fx.experimental.proxy_tensor import make_fx

    size = net.spec.input_size
    image = torch.rand(1, 3, size + 1, size + 3)  # odd and unequal: no size is special-cased
    weights = weight_inputs(shapes)
    # The network's real weights are allowed in: the trace keeps them as constants, which become the
    # ONNX file's initializers (foldable by ONNX Runtime), not inputs a caller must feed.
    traced = make_fx(_objective_and_gradient(net, layers), tracing_mode="symbolic",
                     decomposition_table=_decompositions(), _allow_non_fake_inputs=True)(image, *weights)
    dynamic: list[Any] = [{2: Dim.DYNAMIC, 3: Dim.DYNAMIC}] + [None] * len(weights)
    return torch.export.export(traced, (image, *weights), dynamic_shapes=dynamic)


def _weights_for_export(model: str) -> tuple[DreamNet, str]:
    """A private copy of the network on the CPU, its weights checked against the registry's sha256."""
    spec = registry.get(model)
    path = registry.weights_path(spec)
    if path is None:
        raise DreamError(f"model {model} is not installed: run `dreamlayer models pull {model}`")
    if not registry.is_intact(spec, path):
        raise DreamError(f"the {model} weight file {path} is damaged (its sha256 does not match)")
    return build_network(spec, path, torch.device("cpu")), spec.weights.sha256


def _jsonable(value: Any) -> Any:
    return asdict(value) if is_dataclass(value) and not isinstance(value, type) else repr(value)


def export_onnx(model: str, output: Path, up_to: Optional[str] = None) -> list[ExportedLayer]:
    """Write ``model``'s gradient graph (layers up to ``up_to``, default all) to ``output``, atomically."""
    net, sha256 = _weights_for_export(model)
    return export_network(net, output, up_to, sha256)


def export_network(net: DreamNet, output: Path, up_to: Optional[str] = None, weights_sha256: str = ""
                   ) -> list[ExportedLayer]:
    """``export_onnx`` for a network in hand (a CPU one, not shared: its weights are set to require
    grad, so it takes its plain, traceable convolutions, not the fused oneDNN kernel; only the
    input gradient is ever asked for)."""
    model = net.spec.name
    try:
        import onnx
        import onnxscript  # noqa: F401  (torch.onnx's exporter needs it)
    except ImportError as exc:
        raise DreamError(f"export-onnx needs {exc.name}: pip install 'dreamlayer[onnx]'") from None
    for p in net.net.parameters():
        p.requires_grad_(True)
    for module in net.net.modules():
        if isinstance(module, SameConv2d):
            module.for_export = True
    layers = _layers_up_to(net, up_to)
    shapes = [ExportedLayer(name, net.shape(name).channels, net.shape(name).stride) for name in layers]
    names = input_names(shapes)
    try:
        program = torch.onnx.export(_trace(net, layers, shapes), dynamo=True, verbose=False, input_names=names,
                                    output_names=["value", "gradient"], custom_translation_table=_translations())
    except Exception as exc:  # the exporter's error types are private; an op it cannot translate is the usual cause
        op = re.search(r"op='([^']+)'", f"{exc} {exc.__cause__}")
        reason = f"ONNX has no translation of {op.group(1)}" if op else (str(exc).splitlines() or [repr(exc)])[0]
        raise DreamError(f"cannot export {model} to ONNX: {reason}") from exc
    if program is None:
        raise DreamError("torch.onnx.export returned no program")
    proto = program.model_proto
    meta = {
        "dreamlayer.model": model,
        "dreamlayer.layers": json.dumps([asdict(s) for s in shapes]),
        "dreamlayer.default_layer": net.spec.default_layer,
        "dreamlayer.hints": json.dumps({layer.name: layer.hint for layer in net.spec.layers if layer.hint}),
        "dreamlayer.labels": json.dumps(net.spec.labels() if LOGITS in layers else []),
        "dreamlayer.preprocess": json.dumps(_jsonable(net.spec.preprocess)),
        "dreamlayer.input": "image: 1x3xHxW RGB in [0, 1], preprocessing inside the graph",
        "dreamlayer.objective": "sum over layers of L.amplify * mean(L^2) + sum_c L.channels[c] * mean(L[:, c]), "
                                "+ sum_k logits.classes[k] * mean(logits[:, k]) where the graph holds the logits",
        "dreamlayer.weights_sha256": weights_sha256,
    }
    for key, value in meta.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    with replacing(output) as temporary:
        onnx.save(proto, str(temporary))
    return shapes


def metadata(path: Path) -> dict[str, str]:
    """The ``dreamlayer.*`` metadata of an exported graph."""
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props if p.key.startswith("dreamlayer.")}

