"""Secrets sealed at rest: AES-256-GCM under a key file the database never sees.

API key secrets must be readable by the server (an HMAC needs the secret itself, not a hash),
yet a copy of the database alone must reveal none of them. So each secret is encrypted with
a 256-bit key kept in a file of its own (``--api-key-file``, default
``<data-dir>/api_keys.key``, mode 0600), created on first use. AES-GCM from ``cryptography``
(a maintained library; nothing here is home-made) both hides and authenticates: a sealed
value moved to another row (``associated`` names the row) or altered by one bit does not open.

A sealed value is ``b"v1" + nonce(12) + ciphertext+tag``; the version prefix leaves room for
a key rotation later. Nonces are random (96 bits): safe far beyond the number of API keys a
server will ever create under one key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from velox.secretfile import create_once

KEY_FILE = "api_keys.key"
KEY_BYTES = 32
NONCE_BYTES = 12
VERSION = b"v1"
# The key file's fingerprint in the database's meta table (``velox.web.secret_checks``): an
# HMAC-SHA256 of a fixed label keyed with the key, which shows whether two processes hold
# the same key file and nothing of the key itself.
KEY_FILE_META = "api_key_file_fingerprint"
FINGERPRINT_LABEL = b"velox api key file fingerprint v1"


class VaultError(Exception):
    """A key file of the wrong size, or a sealed value that does not open (another key
    file, another row, or tampered)."""


def key_path(configured: str | None, data_dir: str | Path) -> Path:
    """``--api-key-file`` when set, else ``<data-dir>/api_keys.key``."""
    return Path(configured) if configured else Path(data_dir) / KEY_FILE


def load_key(path: Path) -> bytes:
    """The key in ``path``, created there (mode 0600) when the file does not exist yet.

    A file of the wrong size is refused rather than silently replaced: replacing it would make
    every stored secret unreadable.
    """
    try:
        key = create_once(path, secrets.token_bytes(KEY_BYTES))
    except OSError as exc:  # unreadable, a directory...: one line, not a traceback
        raise VaultError(f"cannot read the API key file {path}: {exc.strerror or exc}") from exc
    if len(key) != KEY_BYTES:
        raise VaultError(f"{path} does not hold a {KEY_BYTES}-byte key")
    return key


class Vault:
    """``seal``/``open`` of short secrets bound to the row they belong to."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)
        self.fingerprint = hmac.new(key, FINGERPRINT_LABEL, hashlib.sha256).hexdigest()

    @classmethod
    def from_file(cls, path: Path) -> Vault:
        return cls(load_key(path))

    def seal(self, plaintext: str, associated: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), associated.encode("utf-8"))
        return VERSION + nonce + sealed

    def open(self, sealed: bytes, associated: str) -> str:
        if not sealed.startswith(VERSION):
            raise VaultError("unknown sealed-value version")
        body = sealed[len(VERSION) :]
        nonce, data = body[:NONCE_BYTES], body[NONCE_BYTES:]
        try:
            plain = self._aead.decrypt(nonce, data, associated.encode("utf-8"))
        except InvalidTag as exc:
            raise VaultError("the sealed value does not open with this key") from exc
        return plain.decode("utf-8")

    def __repr__(self) -> str:  # never the key
        return "Vault(<sealed>)"


def check_opens(vault: Vault, sealed: bytes, associated: str, path: Path) -> None:
    """Start-up: the key file must open the secrets the database holds. A missing file is
    created anew (the first start), so a file lost later would otherwise be replaced in
    silence and every stored API key would answer -2015 for good."""
    try:
        vault.open(sealed, associated)
    except VaultError as exc:
        raise VaultError(
            f"the API key file {path} does not open the API secrets stored in this "
            "database: put back the key file used with it (a missing one is created anew, "
            "and opens none of them)"
        ) from exc
