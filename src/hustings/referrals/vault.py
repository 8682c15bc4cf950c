"""Packs at rest: encrypted with Fernet under the data folder, never under the web root.

The key is derived from `settings.secret_key` with HKDF. New packs are always encrypted under
the current secret; a pack encrypted under a key in `settings.secret_key_previous` still opens,
and `rekey` re-encrypts every stored pack under the current one so the old key can be retired.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hustings.errors import ConfigurationError, NotFound

if TYPE_CHECKING:
    from hustings.settings import Settings

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
    """Encrypted pack files in one folder, named by pack id.

    `secret` encrypts; it and each of `previous` (older secrets, newest first) decrypt.
    """

    def __init__(self, folder: Path, secret: str, *, previous: Sequence[str] = ()) -> None:
        self.folder = folder
        self._fernet = MultiFernet([Fernet(pack_key(key)) for key in (secret, *previous)])

    def path(self, pack_id: str) -> Path:
        if not _PACK_ID.match(pack_id):
            raise NotFound(f"pack_id: no pack {pack_id!r}")
        return self.folder / f"{pack_id}.pack"

    def save(self, pack_id: str, data: bytes) -> Path:
        path = self.path(pack_id)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _replace(path, self._fernet.encrypt(data))
        return path

    def load(self, pack_id: str) -> bytes:
        path = self.path(pack_id)
        if not path.is_file():
            raise NotFound(f"pack_id: no stored pack {pack_id!r}")
        try:
            return self._fernet.decrypt(path.read_bytes())
        except InvalidToken:
            raise _undecryptable(pack_id) from None

    def rekey(self) -> int:
        """Re-encrypt every stored pack under the current secret; return how many were rewritten.

        Safe to repeat and to interrupt: each file is replaced whole, and one already under the
        current secret is rewritten under it again.
        """
        count = 0
        for path in sorted(self.folder.glob("p_*.pack")):
            try:
                data = self._fernet.rotate(path.read_bytes())
            except InvalidToken:
                raise _undecryptable(path.stem) from None
            _replace(path, data)
            count += 1
        return count


def configured_vault(settings: Settings) -> PackVault:
    """The vault under ``data_dir/packs``, writing under the secret key, reading under it and the ones it replaced."""
    return PackVault(
        settings.data_dir / "packs",
        settings.secret_key.get_secret_value(),
        previous=settings.previous_secrets(),
    )


def _replace(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all, readable by its owner only."""
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    temporary.chmod(0o600)
    temporary.replace(path)


def _undecryptable(pack_id: str) -> ConfigurationError:
    return ConfigurationError(
        f"pack {pack_id}: cannot be decrypted with HUSTINGS_SECRET_KEY or any key in "
        "HUSTINGS_SECRET_KEY_PREVIOUS (was the key it was made under rotated out?)"
    )
