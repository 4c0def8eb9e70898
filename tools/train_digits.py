"""Train the 'digits' network on scikit-learn's handwritten digits and save its weights.

    python tools/train_digits.py [--out engine/models/data/digits.pth]

Deterministic (fixed seeds, one thread): it prints the train/test accuracy on the held-out split
that the tests use, and reproduces the committed weights bit for bit on a CPU that takes the same
kernels (AVX2 does). Other kernels (AVX-512, SSE4.1) round differently, and sixty epochs carry that
into weights that differ by up to 0.07 yet read the held-out digits alike: the tests check that,
not bits. Needs scikit-learn; seconds on a CPU.

The net is trained on slightly perturbed digits too (FGSM with a random start, Wong et al. 2020,
"Fast is better than free"): a robust net's gradients point along digit shapes (Tsipras et al.
2019), so what it imagines reads as a digit rather than as adversarial speckle.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from dreamlayer.engine.download import sha256_file
from dreamlayer.engine.models.digits import INK, build_digits_net, weights_file

SEED = 0
TEST_FRACTION = 0.25
EPOCHS = 60
BATCH = 32
LEARNING_RATE = 3e-3
WEIGHT_DECAY = 1e-2  # L2: weights that no digit asks for fade, instead of keeping their random start
EPSILON = 2.0  # largest perturbation per pixel, in ink levels (of 16)


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, x_test, y_train, y_test): 64 ink values in 0..16 per image, stratified, fixed seed."""
    digits = load_digits()
    return train_test_split(digits.data.astype(np.float32), digits.target, test_size=TEST_FRACTION,
                            random_state=SEED, stratify=digits.target)


def accuracy(net: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        predicted = net(torch.from_numpy(x)).argmax(1).numpy()
    return float((predicted == y).mean())


def perturb(net: nn.Module, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The batch moved (within EPSILON per pixel, inside 0..16) towards being misread."""
    delta = ((torch.rand(x.shape, generator=generator) * 2 - 1) * EPSILON).requires_grad_(True)
    loss = nn.functional.cross_entropy(net((x + delta).clamp(0, INK)), y)
    grad, = torch.autograd.grad(loss, delta)
    delta = (delta.detach() + 2.5 * EPSILON * grad.sign()).clamp(-EPSILON, EPSILON)
    return (x + delta).clamp(0, INK)


@contextmanager
def one_thread() -> Iterator[None]:
    """One torch thread inside, the caller's count restored after: the process (a test run) keeps its own.

    One thread gives the same weights on every run (more would add sums in another order), and it
    is faster for a net this small: two threads took 20x longer on a busy 2-core machine.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train() -> tuple[nn.Module, float, float]:
    with one_thread():
        return _train()


def _train() -> tuple[nn.Module, float, float]:
    torch.manual_seed(SEED)
    x_train, x_test, y_train, y_test = split()
    net = build_digits_net()
    optimiser = torch.optim.Adam(net.parameters(), lr=LEARNING_RATE, weight_decay=WEIGHT_DECAY)
    inputs, targets = torch.from_numpy(x_train), torch.from_numpy(y_train).long()
    generator = torch.Generator().manual_seed(SEED)
    for _ in range(EPOCHS):
        for batch in torch.randperm(len(inputs), generator=generator).split(BATCH):
            x, y = perturb(net, inputs[batch], targets[batch], generator), targets[batch]
            optimiser.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            optimiser.step()
    net.eval()
    return net, accuracy(net, x_train, y_train), accuracy(net, x_test, y_test)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=weights_file(), help="where to write the state_dict")
    args = parser.parse_args(argv)
    net, train_accuracy, test_accuracy = train()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v.detach().clone().contiguous() for k, v in net.state_dict().items()}, args.out)
    print(f"train accuracy {train_accuracy:.4f}")
    print(f"test accuracy {test_accuracy:.4f}")
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes, sha256 {sha256_file(args.out)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
