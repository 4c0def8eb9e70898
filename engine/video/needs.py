"""The optional video libraries, imported on first use so the base CLI starts without them."""
from __future__ import annotations

import importlib
import os
from types import ModuleType

from ..errors import DreamError

_PACKAGES = {"cv2": "opencv-python-headless", "imageio_ffmpeg": "imageio-ffmpeg"}


def need(module: str) -> ModuleType:
    """The module, or a one-line DreamError naming the extra that installs it.

    OpenCV's loader points LD_LIBRARY_PATH at its own libraries when it is first imported; the
    variable is put back, so programs this process starts later (ffmpeg, an editor) load their own.
    """
    before = os.environ.get("LD_LIBRARY_PATH")
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DreamError(f"this needs {_PACKAGES.get(module, module)}: pip install 'dreamlayer[video]'") from None
    finally:
        if before is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = before
