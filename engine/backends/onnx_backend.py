"""The ONNX Runtime backend: dreams on an installed gradient graph, with no torch in the process.

The graph computes the objective and its input gradient itself (``engine/onnx_export.py``);
this module turns an objective into the graph's weight inputs and picks where it runs.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Optional

import numpy as np

from dreamlayer import classes
from dreamlayer import objective as spec
from dreamlayer.objective import Objective, Sum
from dreamlayer.settings import DreamSettings

from .. import graphs
from ..errors import DreamError
from ..lanes import LANES, cpu_lanes, lane, usable_cores
from .base import requested

CPU = "CPUExecutionProvider"
# Tried in this order where ONNX Runtime has them: vendors' GPUs first, the CPU always last.
PREFERRED = ("TensorrtExecutionProvider", "CUDAExecutionProvider", "ROCMExecutionProvider",
             "MIGraphXExecutionProvider", "DmlExecutionProvider", "CoreMLExecutionProvider",
             "OpenVINOExecutionProvider", CPU)
INPUT_SIZE = 224  # a graph's metadata does not say; ImageNet classifiers are mostly trained at this size
UNSUPPORTED = (spec.Neuron, spec.Guide)  # neither is a weight on a whole-layer mean, which is all the graph has


def _ort() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise DreamError("the onnx backend needs ONNX Runtime: pip install 'dreamlayer[onnx]'") from None
    return onnxruntime


def available_providers() -> list[str]:
    return list(_ort().get_available_providers())


def providers_for(settings: DreamSettings) -> list[str]:
    """The providers to try, best first, always ending with the CPU.

    ``--providers`` names them; else ``--device cpu`` means the CPU alone, and anything else the
    best this ONNX Runtime build has.
    """
    have = available_providers()
    if settings.providers:
        missing = [p for p in settings.providers if p not in have]
        if missing:
            raise DreamError(f"ONNX Runtime here has no {', '.join(missing)}; it has {', '.join(have)}")
        chosen = list(settings.providers)
    elif settings.device == "cpu":
        chosen = [CPU]
    else:
        chosen = [p for p in PREFERRED if p in have]
    return chosen if CPU in chosen else chosen + [CPU]


_sessions: dict[tuple[str, tuple[str, ...], int, int], Any] = {}
_sessions_lock = threading.Lock()


def session(path: str, providers: list[str], lanes: bool = False) -> Any:
    """An inference session, kept for the process: the engine process's later dreams start at once.

    With ``lanes`` (``engine/lanes.py``) each lane has a session of its own with its share of the
    cores. Four 384x512 tiles a step on 2 cores, in one run: one stream of tiles through a 2-thread
    session 270 ms, both lanes through it 262, both through one 1-thread session 233; in another,
    one 1-thread session for both lanes 279-308 ms, one each 259-264.
    A provider that fails to start (a driver missing, say) falls back to the CPU with one line on
    stderr, not an error: the dream still comes, slower.
    """
    ort = _ort()
    number = lane() if lanes else 0  # 0: the caller's own thread (a picture of one tile, visualize)
    threads = max(1, usable_cores() // LANES) if number else 0  # 0: ONNX Runtime's choice, every core
    key = (path, tuple(providers), number, threads)
    with _sessions_lock:
        if key not in _sessions:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = threads
            # Idle threads sleep instead of spinning, as torch's do (runtime.configure): beside a
            # busy editor, spinning threads made each step twice as slow (302 against 623 ms per
            # 512x384 step on a loaded 2-core machine).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                _sessions[key] = ort.InferenceSession(path, options, providers=providers)
            except Exception as exc:  # onnxruntime's errors share no public base class
                if providers == [CPU]:
                    raise DreamError(f"ONNX Runtime cannot load {path}: {str(exc).splitlines()[0]}") from None
                print(f"dreamlayer: {', '.join(providers[:-1])} failed to start ({str(exc).splitlines()[0]}); "
                      "dreaming on the CPU", file=sys.stderr)
                _sessions[key] = ort.InferenceSession(path, options, providers=[CPU])
        return _sessions[key]


def refuse_unsupported(objective: Objective) -> None:
    """A one-line DreamError for the terms a gradient graph has no input for."""
    for _, term in objective.terms():
        if isinstance(term, UNSUPPORTED):
            kind = "neuron" if isinstance(term, spec.Neuron) else "guide"
            raise DreamError(f"the onnx backend cannot dream {kind} terms ({term.text()}): use --backend torch")


def feeds(objective: Objective, graph: graphs.Graph) -> tuple[dict[str, np.ndarray], Objective, float]:
    """The graph's weight inputs for ``objective``, the objective as resolved (class names), and
    its constant; a one-line DreamError for what the graph cannot compute."""
    weights: dict[str, np.ndarray] = {}
    for layer in graph.layers:
        if layer.name == graphs.LOGITS:
            weights["logits.classes"] = np.zeros(layer.channels, np.float32)
        else:
            weights[f"{layer.name}.amplify"] = np.zeros((), np.float32)
            weights[f"{layer.name}.channels"] = np.zeros(layer.channels, np.float32)
    refuse_unsupported(objective)
    resolved: list[tuple[float, spec.Term]] = []
    for weight, term in objective.terms():
        if isinstance(term, spec.ClassLogit):
            index = _class_index(term, graph)
            weights["logits.classes"][index] += weight
            resolved.append((weight, spec.ClassLogit(graph.labels[index])))
            continue
        assert isinstance(term, (spec.Layer, spec.Channel))  # refuse_unsupported let nothing else through
        found = graph.layer(term.layer)
        if found is None:
            raise DreamError(f"model {graph.model} has no layer {term.layer!r} in its graph; "
                             f"choose one of: {', '.join(g.name for g in graph.layers)}")
        if isinstance(term, spec.Layer):
            weights[f"{found.name}.amplify"] += weight
        else:
            if not 0 <= term.channel < found.channels:
                raise DreamError(f"channel {term.channel} out of range for {found.name}: it has channels "
                                 f"0..{found.channels - 1}")
            weights[f"{found.name}.channels"][term.channel] += weight
        resolved.append((weight, term))
    return weights, Sum.of(tuple(resolved), objective.constant), objective.constant


def _class_index(term: spec.ClassLogit, graph: graphs.Graph) -> int:
    if not graph.labels:
        raise DreamError(f"the {graph.model} graph ends at {graph.deepest}, before the logits; export it "
                         "without --up-to for classes")
    try:
        return classes.find_class(term.label, graph.labels)
    except classes.UnknownClass as error:
        raise DreamError(str(error)) from None


def layers_read(objective: Objective) -> set[str]:
    return {graphs.LOGITS if isinstance(term, spec.ClassLogit) else getattr(term, "layer", "")
            for _, term in objective.terms()}


class OnnxBackend:
    """A gradient graph in an ONNX Runtime session, with the objective's weights ready to feed."""

    name = "onnx"

    def __init__(self, graph: graphs.Graph, objective: Objective, providers: list[str]) -> None:
        if not objective.terms():
            raise DreamError(f"the objective {objective.text()!r} names no layer, channel or class to dream of")
        self.graph = graph
        self.weights, self.objective, self.constant = feeds(objective, graph)
        self.layers = sorted(layers_read(self.objective))
        self.providers = providers
        self.path = graphs.specialized(graph.path, self.weights)  # without the terms weighed zero
        self.lanes = cpu_lanes() if providers == [CPU] else None
        # every provider the session kept, in order: ONNX Runtime runs a node on the first that has it
        self.device = "onnx:" + ",".join(self._session(self.path).get_providers())

    @property
    def labels(self) -> list[str]:
        return self.graph.labels

    @property
    def input_size(self) -> int:
        return INPUT_SIZE

    @classmethod
    def prepare(cls, graph: graphs.Graph) -> None:
        """Cut the graph down for its default layer (its deepest, where it ends before that) and make
        that copy's value-only graph, and the class scores' graph, as a graph is installed: the first
        dreams of most users then need no ``onnx`` package."""
        layer = graph.default_layer if graph.layer(graph.default_layer) else graph.deepest  # a graph cut short
        weights = feeds(requested(DreamSettings(model=graph.model), layer), graph)[0]
        graphs.value_graph(graphs.specialized(graph.path, weights))
        if graph.layer(graphs.LOGITS) is not None:
            graphs.logits_graph(graph.path)  # for visualize's reports of what the network sees

    @classmethod
    def open(cls, settings: DreamSettings) -> "OnnxBackend":
        installed = graphs.installed(settings.model)
        default = installed[0].default_layer if installed else ""
        objective = requested(settings, default)
        refuse_unsupported(objective)
        return cls(graphs.choose(settings.model, layers_read(objective)), objective, providers_for(settings))

    def _session(self, path: str) -> Any:
        """This thread's session of ``path``."""
        return session(path, self.providers, self.lanes is not None)

    def _run(self, run: Any, tile: np.ndarray, outputs: list[str]) -> list[np.ndarray]:
        """``outputs`` of session ``run``, fed the weight inputs it has (a cut-down graph has fewer)."""
        names = {i.name for i in run.get_inputs()}
        return run.run(outputs, {"image": tile, **{k: v for k, v in self.weights.items() if k in names}})

    def gradient(self, tile: np.ndarray) -> tuple[np.ndarray, float]:
        value, grad = self._run(self._session(self.path), tile, ["value", "gradient"])
        return grad, float(value) + self.constant

    def value(self, tile: np.ndarray) -> float:
        (value,) = self._run(self._session(graphs.value_graph(self.path)), tile, ["value"])
        return float(value) + self.constant

    def logits(self, tile: np.ndarray) -> Optional[np.ndarray]:
        if self.graph.layer(graphs.LOGITS) is None:
            return None
        path = graphs.logits_graph(self.graph.path)  # the whole graph's: a cut-down one may have lost them
        if path is None:
            return None
        run = self._session(path)
        (scores,) = self._run(run, tile, [run.get_outputs()[0].name])
        return np.asarray(scores, np.float32).reshape(-1)

    def peak_gpu_bytes(self) -> int:
        return 0
