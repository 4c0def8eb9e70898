"""Image parametrizations: what the optimizer actually changes when it paints a picture.

Raw pixels let gradient ascent pile up high-frequency noise. A scaled Fourier basis gives low
frequencies as much say as high ones, and a decorrelated colour space lets the optimizer move
brightness and hue separately, as in Olah et al., "Feature Visualization" (Distill, 2017).
Every parametrization here can also be loaded from an image, so a visualization can start
from a grey canvas, noise or a picture.
"""
from __future__ import annotations

from typing import Sequence, Union

import torch
from torch import nn

from ..errors import DreamError
from .settings import PARAMETRIZATIONS

# Square root of ImageNet's colour covariance (from Lucid), normalised so no column is longer than 1.
_COLOUR_SQRT = torch.tensor([[0.26, 0.09, 0.02],
                             [0.27, 0.00, -0.05],
                             [0.27, -0.09, 0.03]])
COLOUR_MATRIX = _COLOUR_SQRT / _COLOUR_SQRT.norm(dim=0).max()
FOURIER_GAIN = 4.0  # Lucid's constant: a smaller raw image keeps early steps from saturating
EPSILON = 1e-4  # images are clamped this far inside (0, 1) before the sigmoid is inverted


class Spatial(nn.Module):
    """An unbounded B x C x H x W image made from trainable parameters."""

    def __init__(self, batch: int, channels: int, height: int, width: int) -> None:
        super().__init__()
        self.shape = (batch, channels, height, width)

    def load(self, raw: torch.Tensor) -> None:
        """Set the parameters so that ``forward()`` returns ``raw``."""
        raise NotImplementedError


Generators = Union[None, torch.Generator, Sequence[torch.Generator]]


def _noise(shape: tuple[int, ...], sd: float, generator: Generators) -> torch.Tensor:
    """Normal noise; with one generator per batch item, each picture is reproducible on its own."""
    if generator is None or isinstance(generator, torch.Generator):
        return torch.randn(shape, generator=generator) * sd
    if len(generator) != shape[0]:
        raise ValueError(f"{len(generator)} generators for a batch of {shape[0]}")
    return torch.cat([torch.randn((1,) + shape[1:], generator=g) for g in generator]) * sd


class PixelSpatial(Spatial):
    """One parameter per pixel and channel."""

    def __init__(self, batch: int, channels: int, height: int, width: int, sd: float,
                 generator: Generators) -> None:
        super().__init__(batch, channels, height, width)
        self.pixels = nn.Parameter(_noise(self.shape, sd, generator))

    def forward(self) -> torch.Tensor:
        return self.pixels

    def load(self, raw: torch.Tensor) -> None:
        with torch.no_grad():
            self.pixels.copy_(raw.expand(self.shape))


def _frequencies(height: int, width: int) -> torch.Tensor:
    """Spatial frequency magnitude of every coefficient of a real 2-D FFT of this size."""
    fy = torch.fft.fftfreq(height)[:, None]
    fx = torch.fft.rfftfreq(width)[None, :]
    return (fx * fx + fy * fy).sqrt()


class FourierSpatial(Spatial):
    """Coefficients of a real 2-D Fourier transform, scaled by 1/frequency so every band learns alike."""

    scale: torch.Tensor  # a buffer: follows the module's device, not learned

    def __init__(self, batch: int, channels: int, height: int, width: int, sd: float,
                 generator: Generators, decay_power: float = 1.0) -> None:
        super().__init__(batch, channels, height, width)
        freqs = _frequencies(height, width)
        self.register_buffer("scale", 1.0 / freqs.clamp(min=1.0 / max(height, width)) ** decay_power)
        self.spectrum = nn.Parameter(_noise((batch, channels) + tuple(freqs.shape) + (2,), sd, generator))

    def forward(self) -> torch.Tensor:
        spectrum = torch.view_as_complex(self.spectrum) * self.scale
        _, _, height, width = self.shape
        return torch.fft.irfft2(spectrum, s=(height, width), norm="ortho") / FOURIER_GAIN

    def load(self, raw: torch.Tensor) -> None:
        _, _, height, width = self.shape
        spectrum = torch.fft.rfft2(raw.expand(self.shape) * FOURIER_GAIN, s=(height, width), norm="ortho")
        with torch.no_grad():
            self.spectrum.copy_(torch.view_as_real(spectrum / self.scale))


class ImageParam(nn.Module):
    """A picture in [0, 1]: an unbounded spatial image, optionally in decorrelated colour, through a sigmoid."""

    def __init__(self, spatial: Spatial, decorrelate: bool = True) -> None:
        super().__init__()
        self.spatial = spatial
        self.decorrelate = decorrelate and spatial.shape[1] == 3

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return self.spatial.shape

    def forward(self) -> torch.Tensor:
        raw = self.spatial()
        if self.decorrelate:
            raw = torch.einsum("ij,bjhw->bihw", COLOUR_MATRIX.to(raw), raw)
        return torch.sigmoid(raw)

    def load_image(self, image: torch.Tensor) -> None:
        """Start from ``image`` (1 x C x H x W in [0, 1], the parametrization's size)."""
        if tuple(image.shape[1:]) != tuple(self.shape[1:]):
            raise ValueError(f"image is {tuple(image.shape[1:])}, the parametrization {tuple(self.shape[1:])}")
        raw = torch.logit(image.clamp(EPSILON, 1 - EPSILON))
        if self.decorrelate:
            raw = torch.einsum("ij,bjhw->bihw", torch.linalg.inv(COLOUR_MATRIX).to(raw), raw)
        self.spatial.load(raw)


def image_param(height: int, width: int, *, kind: str = "fourier", decorrelate: bool = True, batch: int = 1,
                channels: int = 3, sd: float = 0.01, generator: Generators = None) -> ImageParam:
    """A fresh parametrization whose picture starts as faint noise around grey (``sd`` = 0: flat grey).

    ``generator`` may be one per batch item, so each picture does not depend on its batch mates.
    """
    if kind == "fourier":
        spatial: Spatial = FourierSpatial(batch, channels, height, width, sd, generator)
    elif kind == "pixel":
        spatial = PixelSpatial(batch, channels, height, width, sd, generator)
    else:
        raise DreamError(f"unknown parametrization {kind!r}: use {' or '.join(PARAMETRIZATIONS)}")
    return ImageParam(spatial, decorrelate)
