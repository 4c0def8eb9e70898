"""Image parametrizations: what the optimizer actually changes when it paints a picture.

Raw pixels let gradient ascent pile up high-frequency noise. A scaled Fourier basis gives low
frequencies as much say as high ones, and a decorrelated colour space lets the optimizer move
brightness and hue separately, as in Olah et al., "Feature Visualization" (Distill, 2017).
Every parametrization here can also be loaded from an image, so a visualization can start
from a grey canvas, noise or a picture.

Numpy only, each map with its adjoint: the render loop takes the network's gradient from any
backend (torch or ONNX Runtime) and carries it back to the parameters itself.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import DreamError
from .settings import PARAMETRIZATIONS

# Square root of ImageNet's colour covariance (from Lucid), normalised so no column is longer than 1.
_COLOUR_SQRT = np.array([[0.26, 0.09, 0.02],
                         [0.27, 0.00, -0.05],
                         [0.27, -0.09, 0.03]])
COLOUR_MATRIX = _COLOUR_SQRT / np.linalg.norm(_COLOUR_SQRT, axis=0).max()
FOURIER_GAIN = 4.0  # Lucid's constant: a smaller raw image keeps early steps from saturating
EPSILON = 1e-4  # images are clamped this far inside (0, 1) before the sigmoid is inverted


class Spatial:
    """An unbounded C x H x W image made linearly from ``params`` (float64, changed by the optimizer)."""

    params: np.ndarray

    def __init__(self, channels: int, height: int, width: int) -> None:
        self.shape = (channels, height, width)

    def forward(self) -> np.ndarray:
        raise NotImplementedError

    def adjoint(self, grad: np.ndarray) -> np.ndarray:
        """d loss / d params from d loss / d image (the transpose of the linear map ``forward``)."""
        raise NotImplementedError

    def load(self, raw: np.ndarray) -> None:
        """Set the parameters so that ``forward()`` returns ``raw``."""
        raise NotImplementedError


class PixelSpatial(Spatial):
    """One parameter per pixel and channel."""

    def __init__(self, channels: int, height: int, width: int, noise: np.ndarray) -> None:
        super().__init__(channels, height, width)
        self.params = noise.reshape(self.shape)

    def forward(self) -> np.ndarray:
        return self.params

    def adjoint(self, grad: np.ndarray) -> np.ndarray:
        return grad

    def load(self, raw: np.ndarray) -> None:
        self.params = np.broadcast_to(raw, self.shape).astype(np.float64)


def _frequencies(height: int, width: int) -> np.ndarray:
    """Spatial frequency magnitude of every coefficient of a real 2-D FFT of this size."""
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    return np.sqrt(fx * fx + fy * fy)


class FourierSpatial(Spatial):
    """Coefficients of a real 2-D Fourier transform (real and imaginary parts, last axis), scaled
    by 1/frequency so every band learns alike."""

    def __init__(self, channels: int, height: int, width: int, noise: np.ndarray, decay_power: float = 1.0) -> None:
        super().__init__(channels, height, width)
        freqs = _frequencies(height, width)
        self.scale = 1.0 / np.maximum(freqs, 1.0 / max(height, width)) ** decay_power
        self.params = noise.reshape((channels,) + freqs.shape + (2,))
        # irfft keeps one copy of each conjugate pair but counts it twice: every column but the
        # constant one (and the Nyquist one of an even width) stands for two in the full spectrum
        self._pairs = np.full(freqs.shape[1], 2.0)
        self._pairs[0] = 1.0
        if width % 2 == 0:
            self._pairs[-1] = 1.0

    def forward(self) -> np.ndarray:
        spectrum = (self.params[..., 0] + 1j * self.params[..., 1]) * self.scale
        _, height, width = self.shape
        return np.fft.irfft2(spectrum, s=(height, width), norm="ortho") / FOURIER_GAIN

    def adjoint(self, grad: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft2(grad, norm="ortho") * self._pairs * self.scale / FOURIER_GAIN
        return np.stack([spectrum.real, spectrum.imag], axis=-1)

    def load(self, raw: np.ndarray) -> None:
        _, height, width = self.shape
        spectrum = np.fft.rfft2(np.broadcast_to(raw, self.shape) * FOURIER_GAIN, s=(height, width), norm="ortho")
        spectrum = spectrum / self.scale
        self.params = np.stack([spectrum.real, spectrum.imag], axis=-1)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # no overflow warning for large |x|, unlike 1 / (1 + exp(-x))


class ImageParam:
    """A picture in [0, 1]: an unbounded spatial image, optionally in decorrelated colour, through a sigmoid."""

    def __init__(self, spatial: Spatial, decorrelate: bool = True) -> None:
        self.spatial = spatial
        self.decorrelate = decorrelate and spatial.shape[0] == 3

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.spatial.shape

    @property
    def params(self) -> np.ndarray:
        return self.spatial.params

    @params.setter
    def params(self, value: np.ndarray) -> None:
        self.spatial.params = value

    def forward(self) -> np.ndarray:
        """The picture, C x H x W float64 in [0, 1]."""
        raw = self.spatial.forward()
        if self.decorrelate:
            raw = np.einsum("ij,jhw->ihw", COLOUR_MATRIX, raw)
        return _sigmoid(raw)

    def adjoint(self, picture: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """d loss / d params from d loss / d picture, where ``picture`` is ``forward()``'s result."""
        grad = grad * picture * (1.0 - picture)
        if self.decorrelate:
            grad = np.einsum("ij,ihw->jhw", COLOUR_MATRIX, grad)
        return self.spatial.adjoint(grad)

    def load_image(self, image: np.ndarray) -> None:
        """Start from ``image`` (C x H x W in [0, 1], the parametrization's size)."""
        if tuple(image.shape) != tuple(self.shape):
            raise ValueError(f"image is {tuple(image.shape)}, the parametrization {tuple(self.shape)}")
        clamped = np.clip(image.astype(np.float64), EPSILON, 1 - EPSILON)
        raw = np.log(clamped / (1 - clamped))
        if self.decorrelate:
            raw = np.einsum("ij,jhw->ihw", np.linalg.inv(COLOUR_MATRIX), raw)
        self.spatial.load(raw)


def image_param(height: int, width: int, *, kind: str = "fourier", decorrelate: bool = True, channels: int = 3,
                sd: float = 0.01, rng: Optional[np.random.Generator] = None) -> ImageParam:
    """A fresh parametrization whose picture starts as faint noise around grey (``sd`` = 0: flat grey)."""
    rng = rng if rng is not None else np.random.default_rng(0)
    if kind == "fourier":
        shape: tuple[int, ...] = (channels, height, width // 2 + 1, 2)
        spatial: Spatial = FourierSpatial(channels, height, width, rng.standard_normal(shape) * sd)
    elif kind == "pixel":
        spatial = PixelSpatial(channels, height, width, rng.standard_normal((channels, height, width)) * sd)
    else:
        raise DreamError(f"unknown parametrization {kind!r}: use {' or '.join(PARAMETRIZATIONS)}")
    return ImageParam(spatial, decorrelate)
