"""The message protocol between the editor's dialog and the dream engine process.

Standard library only: the editor side (Krita's or GIMP's Python) imports this, and it
has no numpy or torch. The engine runs as ``<engine python> -m dreamlayer.engine.worker``;
the editor writes requests to its stdin and reads replies from its stdout. The engine logs
to stderr and never writes anything else to stdout.

Framing
-------
Every message is one frame::

    b"DL" | header length (4 bytes, big-endian) | header (UTF-8 JSON object) | blobs

The header always has ``"type"`` (a string) and ``"blobs"`` (a list of byte counts, possibly
empty); the blobs follow the header back to back in that order. Pixels travel as blobs of raw
bytes, never as base64 inside the JSON, so a 50-megapixel photo costs one copy, not four.
A header is at most :data:`MAX_HEADER` bytes and has no NaN or infinite numbers; a frame's
blobs add up to at most :data:`MAX_BLOBS` bytes. A frame that breaks these is a
:class:`ProtocolError`, found before anything it claims is allocated.

A sender may deflate large blobs (zlib, level 1): the header's ``"deflated"`` maps a blob's
index (as a string) to its size once inflated; ``"blobs"`` still gives the sizes on the wire.
The reader counts the inflated sizes against :data:`MAX_BLOBS` before inflating and refuses a
blob that inflates to any other size. Only an editor on a slow network asks for it (see
``deflate``): on a photo it saves about 30 % for about a CPU-second per 12 MP each way, which
pays below about 100 Mbit/s and costs on a pipe or a gigabit network.

A network connection starts with :func:`auth_preamble` (fixed length, sent by the editor)
before any frame; see ``engine/serve.py``.

Images and masks
----------------
An image is described in the header by ``{"width", "height", "depth", "blob"}``: ``blob`` is
the index of its pixels in the frame's blobs, laid out as :class:`dreamlayer.pixels.Image`
(straight RGBA, row-major, 8-bit, or 16-bit little-endian). A mask is
``{"width", "height", "blob"}`` with one byte per pixel as :class:`dreamlayer.pixels.Mask`.

Conversation
------------
Every request carries an integer ``id``; replies to it echo that ``id``. When the engine is
ready (torch imported) it sends ``hello`` unprompted; the editor must check its ``protocol``
equals :data:`PROTOCOL_VERSION` before sending anything else.

Editor to engine:

``hello``         Ask for the ``hello`` again (a cheap liveness check).
``list_models``   Reply ``models``: ``models`` = list of ``{name, description, size_bytes,
                  installed, path, downloadable}``.
``layers``        ``model``. Reply ``layers``: ``model``, ``layers`` = list of ``{name, channels,
                  stride, hint}`` in network order (low to high), ``default`` = the default layer.
                  Where the layer atlas has been painted, a layer also has ``thumbnail`` (path of
                  a PNG of the whole layer) and ``channel_thumbnails`` (channel number as a
                  string -> PNG path); both processes run on the same machine.
``labels``        ``model``. Reply ``labels``: ``model``, ``labels`` = list of class names.
``dream``         ``settings`` (a :class:`dreamlayer.settings.DreamSettings` dict), ``image``,
                  optional ``mask`` (plus ``invert``: bool and ``feather``: radius in pixels),
                  optional ``preview_size`` (longest side of preview images, default
                  :data:`PREVIEW_SIZE`) and ``preview_seconds`` (least time between previews,
                  default :data:`PREVIEW_SECONDS`), and for a reduced copy of a bigger picture
                  ``preview_of`` (that picture's longer side in pixels: the preview then grows
                  the patterns Apply will), and ``result``: the form of the result image (see
                  "Result forms" below; default ``"blended"``) with ``by_alpha`` (bool, for
                  ``"difference"``) and ``blended_too`` (bool: also send the blended picture,
                  for a dialog that shows it and may hand the same run to the editor).
                  Replies: ``started``, then ``progress`` repeatedly, then exactly one of
                  ``result``, ``cancelled`` or ``error``. Dreams run one at a time, in the order asked.
``cancel``        ``target`` = the id of a dream. Its work stops within one step and it ends
                  with ``cancelled`` (a dream still queued is dropped the same way).
``pull_model``    ``model``. Downloads it. Replies: ``pull_progress`` (``model``, ``done``,
                  ``total`` bytes; total 0 if unknown) repeatedly, then ``pulled`` (``model``)
                  or ``error``.
``deflate``       ``on``: bool. From now on the engine deflates the large blobs it sends (see
                  Framing). No reply.
``shutdown``      Cancels any work; the engine replies ``bye`` and exits (``dreamlayer serve``:
                  ends this editor's connection only).

Engine to editor:

``hello``         ``protocol``, ``engine`` (package version), ``python``, ``pid``; from
                  ``dreamlayer serve`` also ``host`` (the engine machine's name), ``device`` (where
                  it dreams, e.g. ``"cuda (NVIDIA H200)"``) and ``remote``: true; layer
                  thumbnails are then left out (their paths are on the other machine).
``started``       ``id``: the dream left the queue and is running.
``progress``      ``id``, ``step`` (1-based over all octaves), ``total``, ``octave`` (0-based),
                  ``octaves``, ``objective``, ``elapsed`` and ``eta`` (seconds; eta is null
                  until it can be estimated), and every ``preview_seconds`` or so ``preview``:
                  an 8-bit image no larger than ``preview_size``.
``result``        ``id``, ``result`` (the form asked for), ``image`` (in that form, same size and
                  depth as asked), ``blended`` (only when ``blended_too`` was asked for a form
                  other than ``"blended"``: that picture in the ``"blended"`` form),
                  ``mask`` (the mask, image-sized, that the dream was blended with, after
                  ``invert`` and ``feather``; null when it was unmasked: editors mask their
                  layer with it rather than with their own selection),
                  ``region`` (``[x, y, width, height]``: the part a mask kept the dream to, its
                  context included; outside it the image is the input's; null when the dream
                  ran on the whole picture), ``objective_before``, ``objective_after``,
                  ``seconds``, ``steps``, ``model``, ``layers``, ``objective`` (the expression
                  dreamed), ``device``.
``queued``        ``id``, ``ahead``: the dream waits behind that many dreams (of this editor or,
                  on a shared remote engine, of others); sent again whenever ``ahead`` falls, and
                  not at all when the dream starts at once.
``cancelled``     ``id``.
``error``         ``id`` (of the request, or null when a frame could not be read), ``message``:
                  one line fit to show a painter.
``bye``           The engine is exiting on request.

End of stdin is treated as ``shutdown``: an engine never outlives its editor.

Result forms
------------
The engine dreams with the mask (it weights the change) and then mixes the dream into the
input by the mask. What comes back is what the asker needs, so no editor undoes that mix:

``"blended"``     The dream mixed into the input by the mask: what the command line writes and
                  what the painter sees. Alpha is the input's byte for byte; where the mask is 0
                  every byte equals the input.
``"layer"``       The dream before that mix, for an editor that masks its new layer with the
                  returned ``mask`` itself. Alpha is the input's byte for byte. Without a mask it
                  equals ``"blended"``.
``"difference"``  For a semi-transparent source: an opaque layer for the "linear light" blending
                  mode with inherit alpha, holding ``0.5 + a * (layer - input) / 2`` on each
                  colour channel (rounded, full-scale alpha), where ``a`` is the input's alpha if
                  ``by_alpha`` (the source lies over other visible layers) and 1 otherwise; see
                  ``plugin/krita/apply.py`` for why.

Versions
--------
``PROTOCOL_VERSION`` changes whenever a request or reply changes meaning for either side, so a
mismatched pair refuses to talk instead of misreading pixels (an engine of version 1 ignores
``result`` and would send a blended picture an editor masks again). Version 2 added result forms.
"""
from __future__ import annotations

import hashlib
import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Iterator, Optional

from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.settings import DreamSettings, number_problem

PROTOCOL_VERSION = 2
BLENDED, LAYER, DIFFERENCE = "blended", "layer", "difference"
RESULT_FORMS = (BLENDED, LAYER, DIFFERENCE)
PREVIEW_SIZE = 512
PREVIEW_SECONDS = 0.5
DEFAULT_PORT = 7823  # where `dreamlayer serve` listens and the dialog looks for a remote engine

MAGIC = b"DL"
_PREFIX = struct.Struct(">2sI")
MAX_HEADER = 16 * 1024 * 1024  # generous: label lists are the largest headers (~30 kB)
MAX_BLOBS = 4 << 30  # bytes of blobs in one frame: a 16-bit RGBA picture of 268 MP, plus its mask
_READ_CHUNK = 16 << 20  # blobs are read in pieces, so memory grows with what arrives, not what is claimed
DEFLATE_FROM = 64 << 10  # smaller blobs are sent as they are: deflating them saves nothing worth the time
DEFLATE_GAIN = 0.9  # a deflated blob is sent only if at most this fraction of its size
AUTH_MAGIC = b"DLAUTH1\n"


class ProtocolError(ValueError):
    """A frame that cannot be read: the stream is out of step or the peer is not an engine."""


@dataclass
class Message:
    """One frame: a JSON header (``type`` plus fields) and its binary blobs."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    blobs: list[bytes] = field(default_factory=list)

    def __getitem__(self, key: str) -> Any:
        return self.fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


def auth_preamble(token: str) -> bytes:
    """What an editor sends first on a network connection: fixed-length, so the engine reads
    exactly this many bytes before trusting the peer with the frame parser."""
    return AUTH_MAGIC + hashlib.sha256(token.encode("utf-8")).digest()


def _deflated(blobs: list[bytes]) -> tuple[list[bytes], dict[str, int]]:
    """The blobs with the large ones deflated where that pays, and the inflated sizes of those."""
    out, sizes = [], {}
    for index, blob in enumerate(blobs):
        if len(blob) >= DEFLATE_FROM:
            packed = zlib.compress(blob, 1)
            if len(packed) <= DEFLATE_GAIN * len(blob):
                sizes[str(index)] = len(blob)
                blob = packed
        out.append(blob)
    return out, sizes


def encode(message: Message, deflate: bool = False) -> bytes:
    """The frame for ``message`` (prefix, header and blobs); ``deflate``: for a network link."""
    blobs, sizes = _deflated(message.blobs) if deflate else (message.blobs, {})
    header = dict(message.fields, type=message.type, blobs=[len(b) for b in blobs])
    if sizes:
        header["deflated"] = sizes
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return b"".join([_PREFIX.pack(MAGIC, len(head)), head, *blobs])


def write_message(stream: BinaryIO, message: Message) -> None:
    """Write one frame and flush, so the peer sees it at once."""
    stream.write(encode(message))
    stream.flush()


def _not_finite(text: str) -> Any:
    raise ValueError(f"{text} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        _not_finite(text)
    return value


def _inflated_sizes(header: dict[str, Any], sizes: list[int]) -> dict[int, int]:
    deflated = header.pop("deflated", {})
    if not isinstance(deflated, dict):
        raise ProtocolError("frame header has a bad deflated list")
    out = {}
    for key, size in deflated.items():
        index = int(key) if isinstance(key, str) and key.isdigit() else -1
        if not 0 <= index < len(sizes) or not isinstance(size, int) or size < 0:
            raise ProtocolError("frame header has a bad deflated list")
        out[index] = size
    return out


def _parse_header(head: bytes, max_blobs: int = MAX_BLOBS) -> tuple[str, dict[str, Any], list[int], dict[int, int]]:
    try:
        header = json.loads(head.decode("utf-8"), parse_constant=_not_finite, parse_float=_finite_float)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise ProtocolError(f"frame header is not JSON: {exc}") from None
    except RecursionError:
        raise ProtocolError("frame header is nested too deeply") from None
    if not isinstance(header, dict) or not isinstance(header.get("type"), str):
        raise ProtocolError("frame header has no message type")
    sizes = header.pop("blobs", [])
    if not isinstance(sizes, list) or not all(isinstance(n, int) and n >= 0 for n in sizes):
        raise ProtocolError("frame header has a bad blob list")
    inflated = _inflated_sizes(header, sizes)
    total = sum(inflated.get(i, n) for i, n in enumerate(sizes)) + sum(n for i, n in enumerate(sizes) if i in inflated)
    if total > max_blobs:
        raise ProtocolError(f"frame claims {total} bytes of blobs, more than the {max_blobs} allowed")
    kind = header.pop("type")
    return kind, header, sizes, inflated


def _inflate(blob: bytes, size: int) -> bytes:
    """A deflated blob, never inflated beyond the size its header promised."""
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(blob, size + 1)
    except zlib.error as exc:
        raise ProtocolError(f"a deflated blob is corrupt: {exc}") from None
    if len(data) != size or not inflater.eof or inflater.unconsumed_tail:
        raise ProtocolError(f"a deflated blob does not inflate to the {size} bytes its frame claims")
    return data


def _blobs(raw: list[bytes], inflated: dict[int, int]) -> list[bytes]:
    return [_inflate(blob, inflated[i]) if i in inflated else blob for i, blob in enumerate(raw)]


def _header_length(prefix: bytes, max_header: int = MAX_HEADER) -> int:
    magic, length = _PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise ProtocolError(f"stream is out of step (expected a frame, got {prefix!r})")
    if length > max_header:
        raise ProtocolError(f"frame header of {length} bytes is implausibly large")
    return length


def _read_exactly(stream: BinaryIO, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = stream.read(min(left, _READ_CHUNK))
        if not chunk:
            raise ProtocolError(f"stream ended inside a frame ({size - left} of {size} bytes read)")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_message(stream: BinaryIO, max_header: int = MAX_HEADER, max_blobs: int = MAX_BLOBS) -> Optional[Message]:
    """The next frame from a blocking stream, or None at a clean end of stream. ``max_header``
    and ``max_blobs``: tighter limits, for a server that strangers can reach."""
    first = stream.read(_PREFIX.size)
    if not first:
        return None
    prefix = first + _read_exactly(stream, _PREFIX.size - len(first))
    kind, fields, sizes, inflated = _parse_header(_read_exactly(stream, _header_length(prefix, max_header)), max_blobs)
    return Message(kind, fields, _blobs([_read_exactly(stream, n) for n in sizes], inflated))


class Decoder:
    """Turns bytes that arrive in arbitrary chunks (as from QProcess) into messages."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: Optional[tuple[str, dict[str, Any], list[int], dict[int, int]]] = None
        self._header_end = 0

    def feed(self, data: bytes) -> Iterator[Message]:
        """Add bytes; yield every message they complete."""
        self._buffer += data
        while True:
            message = self._next()
            if message is None:
                return
            yield message

    def _next(self) -> Optional[Message]:
        if self._pending is None:
            if len(self._buffer) < _PREFIX.size:
                return None
            end = _PREFIX.size + _header_length(bytes(self._buffer[:_PREFIX.size]))
            if len(self._buffer) < end:
                return None
            self._pending = _parse_header(bytes(self._buffer[_PREFIX.size:end]))
            self._header_end = end
        kind, fields, sizes, inflated = self._pending
        if len(self._buffer) < self._header_end + sum(sizes):
            return None
        blobs, offset = [], self._header_end
        for size in sizes:
            blobs.append(bytes(self._buffer[offset:offset + size]))
            offset += size
        del self._buffer[:offset]
        self._pending = None
        return Message(kind, fields, _blobs(blobs, inflated))


def image_field(image: Image, blobs: list[bytes]) -> dict[str, Any]:
    """Describe ``image`` for a header, appending its pixels to ``blobs``."""
    blobs.append(image.data)
    return {"width": image.width, "height": image.height, "depth": image.depth, "blob": len(blobs) - 1}


def mask_field(mask: Mask, blobs: list[bytes]) -> dict[str, Any]:
    """Describe ``mask`` for a header, appending its bytes to ``blobs``."""
    blobs.append(mask.data)
    return {"width": mask.width, "height": mask.height, "blob": len(blobs) - 1}


def _blob(message: Message, spec: dict[str, Any]) -> bytes:
    index = spec.get("blob")
    if not isinstance(index, int) or not 0 <= index < len(message.blobs):
        raise ProtocolError(f"{message.type} refers to a missing blob {index!r}")
    return message.blobs[index]


def image_from(message: Message, key: str = "image") -> Image:
    """The image a message describes under ``key``."""
    spec = message.get(key)
    if not isinstance(spec, dict):
        raise ProtocolError(f"{message.type} has no {key}")
    try:
        return Image(int(spec["width"]), int(spec["height"]), _blob(message, spec), int(spec.get("depth", 8)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"{message.type} has a bad {key}: {exc}") from None


def region_from(fields: dict[str, Any]) -> Optional[Bounds]:
    """A result's ``region`` as Bounds, or None where the whole picture was dreamed."""
    spec = fields.get("region")
    if spec is None:
        return None
    try:
        if not isinstance(spec, (list, tuple)):
            raise TypeError(spec)
        x, y, width, height = (int(value) for value in spec)
    except (TypeError, ValueError):
        raise ProtocolError(f"a result has a bad region: {spec!r}") from None
    return Bounds(x, y, width, height)


def mask_from(message: Message, key: str = "mask") -> Optional[Mask]:
    """The mask a message describes under ``key``, or None if it has none."""
    spec = message.get(key)
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise ProtocolError(f"{message.type} has a bad {key}")
    try:
        return Mask(int(spec["width"]), int(spec["height"]), _blob(message, spec))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolError(f"{message.type} has a bad {key}: {exc}") from None


MAX_FEATHER = 1000.0  # px; far beyond any selection's soft edge


@dataclass(frozen=True)
class DreamOptions:
    """A dream request's body besides its pixels, typed for both ends: the editor builds it and
    sends :meth:`fields`, the engine reads it back with :meth:`from_fields`, checked."""

    settings: DreamSettings
    invert: bool = False  # the mask, that is; it travels inside the mask field
    feather: float = 0.0  # px
    preview_size: int = PREVIEW_SIZE
    preview_seconds: float = PREVIEW_SECONDS
    preview_of: Optional[int] = None  # the full picture's longer side when the image is a reduced copy
    result: str = BLENDED  # the form of the result image: one of RESULT_FORMS
    by_alpha: bool = False  # a difference layer's change is scaled by the source's alpha
    blended_too: bool = False  # also send the blended picture (for the dialog to show)

    def fields(self) -> dict[str, Any]:
        """The request's fields, without the image and the mask's pixels."""
        fields: dict[str, Any] = {"settings": self.settings.to_dict(), "preview_size": self.preview_size,
                                  "preview_seconds": self.preview_seconds}
        if self.preview_of is not None:
            fields["preview_of"] = self.preview_of
        if self.result != BLENDED:
            fields.update(result=self.result, by_alpha=self.by_alpha, blended_too=self.blended_too)
        return fields

    def mask_options(self) -> dict[str, Any]:
        return {"invert": self.invert, "feather": self.feather}

    @classmethod
    def from_fields(cls, message: Message) -> DreamOptions:
        """The options of a dream request; ValueError with one line for the first bad field."""
        data = message.get("settings") or {}
        if not isinstance(data, dict):
            raise ValueError("dream settings must be an object")
        try:
            settings = DreamSettings.from_dict(data)
        except TypeError as exc:
            raise ValueError(f"bad dream settings: {exc}") from None
        problems = settings.problems()
        if problems:
            raise ValueError(f"bad dream settings: {problems[0]}")
        mask = message.get("mask") or {}
        result = message.get("result") or BLENDED
        if result not in RESULT_FORMS:
            raise ValueError(f"unknown result form {result!r}; expected one of {', '.join(RESULT_FORMS)}")
        preview_of = message.get("preview_of")
        return cls(settings=settings, invert=bool(mask.get("invert")),
                   feather=_number(mask.get("feather") or 0, "feather", 0.0, MAX_FEATHER),
                   preview_size=int(_number(message.get("preview_size") or PREVIEW_SIZE, "preview size", 1, 65536)),
                   preview_seconds=_number(message.get("preview_seconds") or PREVIEW_SECONDS, "preview seconds",
                                           0.0, 3600.0),
                   preview_of=None if preview_of is None else int(_number(preview_of, "preview_of", 1, 1 << 20)),
                   result=result, by_alpha=bool(message.get("by_alpha")),
                   blended_too=bool(message.get("blended_too")))


def _number(value: Any, name: str, low: float, high: float) -> float:
    problem = number_problem(name, value, low, high)
    if problem:
        raise ValueError(problem)
    return float(value)
