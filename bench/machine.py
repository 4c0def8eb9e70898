"""The machine a benchmark ran on, in the words its figures need: CPU model, vector ISA, cores, OS."""
from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

ISA_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_tile")  # what changes torch's and ONNX Runtime's kernels


def describe() -> dict[str, Any]:
    model, flags = platform.processor(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    debian = Path("/etc/debian_version")
    return {"cpu": model or platform.machine(), "isa": [f for f in ISA_FLAGS if f in flags], "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "debian": debian.read_text().strip() if debian.is_file() else None}


def line(machine: dict[str, Any]) -> str:
    """One line for a table's caption."""
    debian = f", Debian {machine['debian']}" if machine.get("debian") else ""
    return f"{machine['cpu']} ({', '.join(machine['isa']) or 'no AVX2'}), {machine['cores']} cores{debian}"
