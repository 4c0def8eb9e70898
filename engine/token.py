"""The secret a remote editor must show ``dreamlayer serve``: read from a file, or made once
with a cryptographic random source and kept in a file only its owner can read."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from platformdirs import user_config_dir

from .errors import DreamError
from .files import replacing

TOKEN_BYTES = 32  # 256 random bits, 43 characters once written
MIN_LENGTH = 16


def default_token_file() -> Path:
    return Path(user_config_dir("dreamlayer")) / "serve-token"


def read_or_make_token(path: Path) -> tuple[str, bool]:
    """The token in ``path`` and False; or, if there is no such file, a new one saved there
    (mode 0600, atomically) and True. A file with too short a token is refused, not replaced."""
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        path.parent.mkdir(parents=True, exist_ok=True)
        with replacing(path) as temporary:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
                stream.write(token + "\n")
        return token, True
    except (OSError, UnicodeDecodeError) as exc:
        raise DreamError(f"cannot read the token file {path}: {exc}") from None
    if len(token) < MIN_LENGTH or not token.isprintable() or " " in token:
        raise DreamError(f"the token in {path} must be at least {MIN_LENGTH} printable characters without spaces; "
                         "delete the file to have a new one made")
    return token, False
