"""Packs at rest: encrypted with Fernet under the data folder, never under the web root.

The key is derived from `settings.secret_key` with HKDF, so rotating the secret makes old packs
unreadable: rebuild them from the log after a rotation.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hustings.errors import ConfigurationError, NotFound

_INFO = b"hustings evidence packs at rest v1"
_SALT = b"hustings.referrals.vault"
_PACK_ID = re.compile(r"^p_[0-9a-f]{16}$")


def pack_key(secret: str) -> bytes:
    """The Fernet key for packs, derived from the service secret."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret.encode("utf-8")
    )
    return base64.urlsafe_b64encode(derived)


class PackVault:
    """Encrypted pack files in one folder, named by pack id."""

    def __init__(self, folder: Path, secret: str) -> None:
        self.folder = folder
        self._fernet = Fernet(pack_key(secret))

    def path(self, pack_id: str) -> Path:
        if not _PACK_ID.match(pack_id):
            raise NotFound(f"pack_id: no pack {pack_id!r}")
        return self.folder / f"{pack_id}.pack"

    def save(self, pack_id: str, data: bytes) -> Path:
        path = self.path(pack_id)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(self._fernet.encrypt(data))
        temporary.chmod(0o600)
        temporary.replace(path)
        return path

    def load(self, pack_id: str) -> bytes:
        path = self.path(pack_id)
        if not path.is_file():
            raise NotFound(f"pack_id: no stored pack {pack_id!r}")
        try:
            return self._fernet.decrypt(path.read_bytes())
        except InvalidToken:
            raise ConfigurationError(
                f"pack {pack_id}: cannot be decrypted with the current HUSTINGS_SECRET_KEY (was it rotated?)"
            ) from None
