"""The optional video libraries, imported on first use so the base CLI starts without them."""
from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import DreamError

_PACKAGES = {"cv2": "opencv-python-headless", "imageio_ffmpeg": "imageio-ffmpeg"}


def need(module: str) -> ModuleType:
    """The module, or a one-line DreamError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DreamError(f"this needs {_PACKAGES.get(module, module)}: pip install 'dreamlayer[video]'") from None
