"""What a layer tends to produce, by how deep it sits in the network."""

_BANDS = (
    (0.15, "edges, strokes and colour blobs"),
    (0.35, "textures and repeating patterns"),
    (0.6, "ornate patterns, scales, eyes"),
    (0.85, "object parts: eyes, fur, faces, arches"),
    (1.01, "whole objects: animals, buildings, vehicles"),
)


def depth_hint(index: int, count: int) -> str:
    """A short description for the layer at ``index`` of ``count`` dreamable layers."""
    position = (index + 1) / count
    return next(text for limit, text in _BANDS if position <= limit)
