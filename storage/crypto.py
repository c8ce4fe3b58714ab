"""Sealing personal data at rest (AES-GCM) and keyed hashes for look-ups."""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


class SealError(ValueError):
    """A sealed value could not be opened: wrong key, wrong column, or tampered."""


class WrongKey(RuntimeError):
    """The secret key is not the one this database's data was sealed with."""


KEY_CHECK_LABEL = b"voorzorg key check-value"


def _derive(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


class Vault:
    """Seals strings per purpose (a column name), so sealed values cannot be swapped."""

    def __init__(self, secret: str):
        if len(secret) < 32:
            raise ValueError("VOORZORG_SECRET_KEY must be at least 32 characters")
        raw = secret.encode("utf-8")
        self._aead = AESGCM(_derive(raw, b"voorzorg/seal/v1"))
        self._hash_key = _derive(raw, b"voorzorg/lookup-hash/v1")
        self._check_key = _derive(raw, b"voorzorg/key-check/v1")

    def check_value(self) -> str:
        """An HMAC of a fixed label: stored once, it tells a wrong key at the next start."""
        return hmac.new(self._check_key, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()

    def seal(self, value: str | None, purpose: str) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, value.encode("utf-8"), purpose.encode())
        return _VERSION + nonce + sealed

    def open(self, blob: bytes | None, purpose: str) -> str | None:
        if blob is None:
            return None
        if blob[:1] != _VERSION:
            raise SealError(f"unknown seal version for {purpose}")
        nonce, sealed = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, sealed, purpose.encode()).decode("utf-8")
        except Exception as exc:
            raise SealError(f"cannot open sealed {purpose}") from exc

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
