"""Framing and pixel fields of the editor-engine protocol."""
import io
import os
import json
import struct
import zlib

import pytest

from dreamlayer import protocol
from dreamlayer.pixels import Bounds, Image, Mask
from dreamlayer.protocol import Decoder, Message, ProtocolError


def _dream_message() -> Message:
    blobs: list[bytes] = []
    image = Image(3, 2, bytes(range(24)), 8)
    mask = Mask(3, 2, bytes([0, 255, 128, 0, 1, 2]))
    fields = {"id": 7, "settings": {"steps": 2, "seed": 5}, "image": protocol.image_field(image, blobs),
              "mask": protocol.mask_field(mask, blobs)}
    return Message("dream", fields, blobs)


def test_round_trip_through_a_stream_keeps_fields_and_blobs():
    stream = io.BytesIO()
    protocol.write_message(stream, _dream_message())
    protocol.write_message(stream, Message("cancel", {"id": 8, "target": 7}))
    stream.seek(0)
    first = protocol.read_message(stream)
    second = protocol.read_message(stream)
    assert protocol.read_message(stream) is None
    assert first.type == "dream" and first["id"] == 7 and first["settings"] == {"steps": 2, "seed": 5}
    assert protocol.image_from(first) == Image(3, 2, bytes(range(24)), 8)
    assert protocol.mask_from(first) == Mask(3, 2, bytes([0, 255, 128, 0, 1, 2]))
    assert second == Message("cancel", {"id": 8, "target": 7}, [])


def test_pixels_travel_raw_not_base64():
    big = Image(64, 64, bytes(range(256)) * 64, 8)
    blobs: list[bytes] = []
    frame = protocol.encode(Message("result", {"image": protocol.image_field(big, blobs)}, blobs))
    assert len(frame) < len(big.data) + 200
    assert big.data in frame


def test_decoder_handles_one_byte_at_a_time_and_several_frames_per_chunk():
    frames = protocol.encode(_dream_message()) + protocol.encode(Message("hello", {"protocol": 1}))
    decoder = Decoder()
    out = [m for byte in frames for m in decoder.feed(bytes([byte]))]
    assert [m.type for m in out] == ["dream", "hello"]
    assert protocol.image_from(out[0]).data == bytes(range(24))
    assert [m.type for m in Decoder().feed(frames)] == ["dream", "hello"]


def test_sixteen_bit_images_keep_their_depth():
    image = Image(2, 1, bytes(range(16)), 16)
    blobs: list[bytes] = []
    message = Message("result", {"image": protocol.image_field(image, blobs)}, blobs)
    decoded = next(Decoder().feed(protocol.encode(message)))
    assert protocol.image_from(decoded) == image


def test_garbage_on_the_stream_is_a_clear_error():
    with pytest.raises(ProtocolError, match="out of step"):
        list(Decoder().feed(b"Downloading weights...\n"))


def test_header_that_is_not_json_is_a_clear_error():
    head = b"{not json"
    with pytest.raises(ProtocolError, match="not JSON"):
        list(Decoder().feed(struct.pack(">2sI", b"DL", len(head)) + head))


def test_header_without_type_is_rejected():
    head = json.dumps({"blobs": []}).encode()
    with pytest.raises(ProtocolError, match="no message type"):
        protocol.read_message(io.BytesIO(struct.pack(">2sI", b"DL", len(head)) + head))


def test_stream_cut_inside_a_frame_is_reported():
    frame = protocol.encode(_dream_message())
    with pytest.raises(ProtocolError, match="ended inside a frame"):
        protocol.read_message(io.BytesIO(frame[:-3]))


def test_missing_blob_and_wrong_pixel_count_are_protocol_errors():
    missing = Message("dream", {"image": {"width": 1, "height": 1, "depth": 8, "blob": 0}})
    with pytest.raises(ProtocolError, match="missing blob"):
        protocol.image_from(missing)
    short = Message("dream", {"image": {"width": 2, "height": 2, "depth": 8, "blob": 0}}, [b"1234"])
    with pytest.raises(ProtocolError, match="needs 16 bytes"):
        protocol.image_from(short)
    assert protocol.mask_from(Message("dream", {})) is None


def test_nan_cannot_be_sent():
    with pytest.raises(ValueError):
        protocol.encode(Message("progress", {"objective": float("nan")}))


def test_version_is_announced_as_an_integer():
    assert isinstance(protocol.PROTOCOL_VERSION, int) and protocol.PROTOCOL_VERSION >= 1


def _raw_frame(header: bytes, tail: bytes = b"") -> bytes:
    return struct.pack(">2sI", b"DL", len(header)) + header + tail


HOSTILE_HEADERS = {
    "infinite id": b'{"type":"hello","blobs":[],"id":1e999}',
    "NaN id": b'{"type":"hello","blobs":[],"id":NaN}',
    "Infinity id": b'{"type":"hello","blobs":[],"id":-Infinity}',
    "nested 100000 deep": b'{"type":"hello","blobs":[],"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "a 1 TiB blob": b'{"type":"dream","blobs":[1099511627776],"id":1}',
    "blobs adding up past the limit": b'{"type":"dream","blobs":[3000000000,3000000000],"id":1}',
}


@pytest.mark.parametrize("name", HOSTILE_HEADERS)
def test_hostile_headers_are_protocol_errors_before_anything_is_allocated(name):
    frame = _raw_frame(HOSTILE_HEADERS[name], b"\0" * 16)
    with pytest.raises(ProtocolError) as caught:
        protocol.read_message(io.BytesIO(frame))
    assert "\n" not in str(caught.value)
    with pytest.raises(ProtocolError):
        list(Decoder().feed(frame))


def test_a_big_claimed_blob_is_read_as_it_arrives():
    """A stream that ends early after claiming a large (allowed) blob fails at its end, reading in pieces."""
    reads: list[int] = []

    class Recording(io.BytesIO):
        def read(self, size: int = -1) -> bytes:
            reads.append(size)
            return super().read(size)

    stream = Recording(_raw_frame(b'{"type":"dream","blobs":[3000000000],"id":1}', b"\0" * 100))
    with pytest.raises(ProtocolError, match="stream ended inside a frame"):
        protocol.read_message(stream)
    assert max(reads) <= 64 << 20


def test_dream_options_read_back_as_sent():
    from dreamlayer.protocol import LAYER, DreamOptions, Message
    from dreamlayer.settings import DreamSettings

    sent = DreamOptions(DreamSettings(steps=3, pattern_size=2.0, seed=9), invert=True, feather=2.5, preview_size=256,
                        preview_seconds=1.5, preview_of=4000, result=LAYER, by_alpha=True, blended_too=True)
    fields = sent.fields()
    fields["mask"] = sent.mask_options()
    assert DreamOptions.from_fields(Message("dream", fields)) == sent
    plain = DreamOptions(DreamSettings())
    assert DreamOptions.from_fields(Message("dream", plain.fields())) == plain


@pytest.mark.parametrize("fields, message", [
    ({"settings": [1]}, "settings must be an object"),
    ({"settings": {"steps": -1}}, "steps must be at least 0"),
    ({"settings": {}, "result": "jpeg"}, "unknown result form 'jpeg'"),
    ({"settings": {}, "preview_of": 1.5}, "whole number"),
    ({"settings": {}, "mask": {"feather": 1e9}}, "feather must be at most"),
])
def test_bad_dream_options_are_one_line_errors(fields, message):
    from dreamlayer.protocol import DreamOptions, Message

    with pytest.raises(ValueError, match=message):
        DreamOptions.from_fields(Message("dream", fields))


def test_deflated_frames_read_back_exactly_by_stream_and_decoder():
    compressible = bytes(range(256)) * 1024
    noise = os.urandom(1 << 17)
    small = b"tiny"
    message = Message("result", {"id": 1}, [compressible, noise, small])
    frame = protocol.encode(message, deflate=True)
    header = json.loads(frame[6:6 + struct.unpack(">I", frame[2:6])[0]])
    assert list(header["deflated"]) == ["0"] and header["deflated"]["0"] == len(compressible)  # only where it pays
    assert len(frame) < len(compressible) // 10 + len(noise) + 200
    assert protocol.read_message(io.BytesIO(frame)).blobs == message.blobs
    decoded = list(Decoder().feed(frame))
    assert [m.blobs for m in decoded] == [message.blobs]
    assert b"deflated" not in protocol.encode(message)  # a pipe gets raw blobs


@pytest.mark.parametrize("deflated", [{"1": 10}, {"0": -1}, {"x": 10}, [10]])
def test_a_bad_deflated_list_is_a_protocol_error(deflated):
    header = json.dumps({"type": "x", "blobs": [4], "deflated": deflated}).encode()
    with pytest.raises(ProtocolError, match="deflated"):
        protocol.read_message(io.BytesIO(struct.pack(">2sI", b"DL", len(header)) + header + b"abcd"))


def test_a_deflated_blob_is_never_inflated_past_its_claim_and_the_claim_counts_against_the_limit():
    bomb = zlib.compress(bytes(50 << 20))
    header = json.dumps({"type": "x", "blobs": [len(bomb)], "deflated": {"0": 1000}}).encode()
    with pytest.raises(ProtocolError, match="does not inflate to the 1000 bytes"):
        protocol.read_message(io.BytesIO(struct.pack(">2sI", b"DL", len(header)) + header + bomb))
    header = json.dumps({"type": "x", "blobs": [len(bomb)], "deflated": {"0": 50 << 20}}).encode()
    with pytest.raises(ProtocolError, match="more than the"):
        protocol.read_message(io.BytesIO(struct.pack(">2sI", b"DL", len(header)) + header + bomb), max_blobs=1 << 20)


def test_the_auth_preamble_has_one_length_whatever_the_token():
    assert len(protocol.auth_preamble("a" * 16)) == len(protocol.auth_preamble("é" * 500)) == 40
    assert protocol.auth_preamble("one token here!!") != protocol.auth_preamble("another token!!!")


def test_crops_take_the_rows_and_columns_of_a_box():
    image = Image(3, 2, bytes(range(24)))
    assert image.crop(Bounds(1, 0, 2, 2)) == Image(2, 2, bytes(range(4, 12)) + bytes(range(16, 24)))
    assert image.crop(Bounds(0, 0, 3, 2)).data is image.data  # the whole picture costs no copy
    deep = Image(2, 1, bytes(range(16)), depth=16)
    assert deep.crop(Bounds(1, 0, 1, 1)) == Image(1, 1, bytes(range(8, 16)), depth=16)
    mask = Mask(3, 2, bytes([0, 1, 2, 3, 4, 5]))
    assert mask.crop(Bounds(2, 1, 1, 1)) == Mask(1, 1, bytes([5]))
    for outside in (Bounds(2, 0, 2, 1), Bounds(-1, 0, 1, 1), Bounds(0, 0, 0, 1)):
        with pytest.raises(ValueError, match="does not lie inside a 3x2 picture"):
            mask.crop(outside)


def test_a_result_region_reads_as_bounds():
    assert protocol.region_from({"region": [1, 2, 3, 4]}) == Bounds(1, 2, 3, 4)
    assert protocol.region_from({"region": None}) is None and protocol.region_from({}) is None
    for bad in ([1, 2, 3], "1234", [1, 2, "x", 4]):
        with pytest.raises(ProtocolError, match="bad region"):
            protocol.region_from({"region": bad})
