"""The visualize loop's own calculus in numpy: each map's adjoint against finite differences, and
each piece against the torch code it replaced (same pictures, same gradients, same Adam)."""
from __future__ import annotations

import numpy as np
import pytest

from dreamlayer.engine.visualize import regularizers as reg
from dreamlayer.engine.visualize import transforms as tf
from dreamlayer.engine.visualize.param import COLOUR_MATRIX, FOURIER_GAIN, image_param
from dreamlayer.engine.visualize.render import Adam

pytestmark = pytest.mark.numeric

SIZES = [(8, 10), (7, 9), (12, 5)]  # even and odd widths: the Nyquist column is the adjoint's trap


def _directional(f, x: np.ndarray, direction: np.ndarray, eps: float = 1e-6) -> float:
    return (f(x + eps * direction) - f(x - eps * direction)) / (2 * eps)


@pytest.mark.parametrize("kind", ["fourier", "pixel"])
@pytest.mark.parametrize("decorrelate", [True, False])
@pytest.mark.parametrize("height,width", SIZES)
def test_parametrization_adjoint_is_its_gradient(kind, decorrelate, height, width):
    rng = np.random.default_rng(0)
    param = image_param(height, width, kind=kind, decorrelate=decorrelate, sd=0.5, rng=rng)
    weights = rng.standard_normal((3, height, width))
    start = param.params.copy()

    def loss(params: np.ndarray) -> float:
        param.params = params
        return float((param.forward() * weights).sum())

    for _ in range(3):
        direction = rng.standard_normal(start.shape)
        numeric = _directional(loss, start, direction)
        param.params = start
        analytic = float((param.adjoint(param.forward(), weights) * direction).sum())
        assert analytic == pytest.approx(numeric, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("height,width", SIZES)
def test_fourier_picture_and_gradient_match_torch(height, width):
    """The numpy parametrization paints what the torch one did from the same coefficients, and
    gives the same gradient as torch's autograd through irfft2."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    param = image_param(height, width, sd=0.5, rng=rng)
    weights = rng.standard_normal((3, height, width))
    spectrum = torch.tensor(param.params, requires_grad=True)
    scale = torch.from_numpy(param.spatial.scale)  # type: ignore[attr-defined]
    raw = torch.fft.irfft2(torch.view_as_complex(spectrum) * scale, s=(height, width), norm="ortho") / FOURIER_GAIN
    picture = torch.sigmoid(torch.einsum("ij,jhw->ihw", torch.from_numpy(COLOUR_MATRIX), raw))
    (picture * torch.from_numpy(weights)).sum().backward()
    ours = param.forward()
    assert np.allclose(ours, picture.detach().numpy(), atol=1e-12)
    assert np.allclose(param.adjoint(ours, weights), spectrum.grad.numpy(), atol=1e-10)


def _gathers() -> list[tf.Gather]:
    size = (20, 26)
    rng = np.random.default_rng(2)
    made = [tf.pad(3)(size, rng), tf.jitter(5)(size, rng), tf.random_scale([0.7])(size, rng),
            tf.random_rotate([13])(size, rng)]
    return made + [tf.compose(tf.standard(26))(size, np.random.default_rng(seed)) for seed in range(3)]


@pytest.mark.parametrize("gather", _gathers())
def test_transform_adjoint_is_its_transpose(gather: tf.Gather):
    """<G x, y> = <x, G^T y> for the linear part of every transform and of the composed recipe."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3,) + gather.source)
    y = rng.standard_normal((3,) + gather.shape)
    linear = gather(x) - gather(np.zeros_like(x))
    assert float((linear * y).sum()) == pytest.approx(float((x * gather.adjoint(y)).sum()), rel=1e-10)


def test_transforms_resample_as_torch_did():
    """pad, the mirrored jitter and the bilinear warps equal torch's F.pad and grid_sample."""
    torch = pytest.importorskip("torch")
    from torch.nn import functional as F

    image = np.random.default_rng(4).random((3, 20, 26))
    batch = torch.from_numpy(image)[None]
    padded = tf.pad(4)((20, 26), np.random.default_rng())(image)
    assert np.array_equal(padded, F.pad(batch, (4,) * 4, value=0.5)[0].numpy())
    zooms_and_turn = ([[1 / 1.3, 0, 0], [0, 1 / 1.3, 0]], [[1 / 0.6, 0, 0], [0, 1 / 0.6, 0]],
                      [[0.9, -0.3, 0], [0.4, 0.9, 0]])
    for theta in zooms_and_turn:
        grid = F.affine_grid(torch.tensor([theta], dtype=torch.float64), [1, 3, 20, 26], align_corners=False)
        expected = F.grid_sample(batch, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        assert np.allclose(tf._warp((20, 26), np.array(theta))(image), expected[0].numpy(), atol=1e-12)
    shifted = tf.jitter(5)((20, 26), np.random.default_rng(5))
    reflected = F.pad(batch, (5,) * 4, mode="reflect")[0].numpy()
    out = shifted(image)
    assert any(np.array_equal(out, reflected[:, dy:dy + 20, dx:dx + 26]) for dy in range(11) for dx in range(11))


@pytest.mark.parametrize("make", [reg.total_variation, reg.l2])
def test_penalty_gradients(make):
    rng = np.random.default_rng(6)
    picture = rng.random((3, 9, 11))
    penalty = make(2.0)
    for _ in range(3):
        direction = rng.standard_normal(picture.shape)
        numeric = _directional(lambda x: penalty(x)[0], picture, direction)
        assert float((penalty(picture)[1] * direction).sum()) == pytest.approx(numeric, rel=1e-6)


def test_blur_penalty_matches_torch_with_its_target_held():
    """The blurred copy is a fixed target (detached in torch), so its gradient is not the total derivative."""
    torch = pytest.importorskip("torch")
    from torch.nn import functional as F

    picture = np.random.default_rng(7).random((3, 12, 10))
    x = torch.tensor(picture[None], requires_grad=True)
    kernel = torch.exp(-torch.arange(-2.0, 3.0, dtype=torch.float64) ** 2 / 2)
    kernel = kernel / kernel.sum()
    padded = F.pad(x.detach(), (2,) * 4, mode="reflect")
    rows = F.conv2d(padded, kernel.view(1, 1, 1, -1).repeat(3, 1, 1, 1), groups=3)
    blurred = F.conv2d(rows, kernel.view(1, 1, -1, 1).repeat(3, 1, 1, 1), groups=3)
    value = reg.BLUR_SCALE * (x - blurred).pow(2).mean()
    value.backward()
    ours, grad = reg.blur()(picture)
    assert ours == pytest.approx(float(value.detach()), rel=1e-10)
    assert np.allclose(grad, x.grad[0].numpy(), atol=1e-12)


def test_adam_steps_as_torch_adam():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    params = rng.standard_normal(20)
    theirs = torch.tensor(params.copy(), requires_grad=True)
    optimizer = torch.optim.Adam([theirs], lr=0.05)
    ours = Adam(0.05)
    for _ in range(5):
        grad = rng.standard_normal(20)
        theirs.grad = torch.from_numpy(grad.copy())
        optimizer.step()
        params = ours.step(params, grad)
    assert np.allclose(params, theirs.detach().numpy(), atol=1e-12)
