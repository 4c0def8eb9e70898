"""The machine's practical fp32 peak: a large matrix multiply, the best-tuned kernel there is."""
from __future__ import annotations

import time

import torch


def matmul_peak(size: int = 2048, repeats: int = 7, device: str = "cpu") -> dict:
    """Best and median FLOP/s of ``size``-square fp32 matmuls, with all of torch's threads."""
    dev = torch.device(device)
    a = torch.rand(size, size, device=dev)
    b = torch.rand(size, size, device=dev)
    out = torch.empty(size, size, device=dev)
    torch.mm(a, b, out=out)  # warm-up: thread pool, caches, clocks
    rates = []
    for _ in range(repeats):
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)
        rates.append(2 * size ** 3 / (time.perf_counter() - start))
    rates.sort()
    return {"size": size, "threads": torch.get_num_threads(), "device": str(dev),
            "best_flops": rates[-1], "median_flops": rates[len(rates) // 2]}
