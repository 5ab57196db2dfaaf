"""Encryption of WattzOn sensitive fields (utility-site credentials).

WattzOn's Link API 4.0 takes sensitive field values (username, password) encrypted with a
short-lived RSA "transmission key" (`GET /profiles/keys/`), "using PKCS1/OAEP", then base64
encoded. The document names no hash. WattzOn's reference client is Python, and PyCrypto's
`PKCS1_OAEP.new(key)` defaults to SHA-1 with MGF1(SHA-1): that is what we use, and what the
WattzOn sandbox decrypts with. If the real service turns out to expect SHA-256, change
`OAEP_HASH` (one place) and the sandbox together.

* Plaintexts are UTF-8 encoded. RSA-OAEP with SHA-1 carries at most k - 42 bytes (214 bytes
  with a 2048-bit key); a longer value is refused with a message that gives the lengths, never
  the value.
* The ciphertext is standard base64 (with padding), as the seed's example shows.

`TransmissionKeyCache` keeps the current key until shortly before its `expires` time (a Unix
timestamp, so it is compared with the wall clock).
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from collections.abc import Callable
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# PyCrypto's PKCS1_OAEP default (what WattzOn's Python reference client most plausibly used).
OAEP_HASH: type[hashes.HashAlgorithm] = hashes.SHA1
# Refetch a key this long before it expires, so a value is never encrypted with a key that
# expires in flight.
KEY_EXPIRY_MARGIN_S = 60.0


class SensitiveValueError(ValueError):
    """A value cannot be encrypted (too long for the key, or the key is unusable)."""


def _oaep() -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=OAEP_HASH()), algorithm=OAEP_HASH(), label=None)


def load_public_key(public_key_pem: str | bytes) -> rsa.RSAPublicKey:
    """The RSA public key of a transmission key (PEM `BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`)."""
    data = public_key_pem.encode("ascii") if isinstance(public_key_pem, str) else public_key_pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise SensitiveValueError(f"the transmission key is not a PEM public key ({exc})") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise SensitiveValueError(f"the transmission key is not an RSA key (got {type(key).__name__})")
    return key


def max_plaintext_bytes(key: rsa.RSAPublicKey) -> int:
    digest = OAEP_HASH().digest_size
    return key.key_size // 8 - 2 * digest - 2


def encrypt_sensitive_value(public_key_pem: str | bytes, plaintext: str) -> str:
    """RSA-OAEP (SHA-1, MGF1-SHA-1) encrypt `plaintext` with the transmission key, base64 encoded."""
    if not isinstance(plaintext, str):
        raise SensitiveValueError(f"a sensitive value must be text, got {type(plaintext).__name__}")
    key = load_public_key(public_key_pem)
    data = plaintext.encode("utf-8")
    limit = max_plaintext_bytes(key)
    if len(data) > limit:
        raise SensitiveValueError(
            f"the value is {len(data)} bytes long; a {key.key_size}-bit transmission key carries at most {limit}"
        )
    return base64.b64encode(key.encrypt(data, _oaep())).decode("ascii")


def decrypt_sensitive_value(private_key: rsa.RSAPrivateKey | str | bytes, value: str) -> str:
    """The inverse of `encrypt_sensitive_value` (what WattzOn does server side; used in tests)."""
    if isinstance(private_key, (str, bytes)):
        data = private_key.encode("ascii") if isinstance(private_key, str) else private_key
        private_key = serialization.load_pem_private_key(data, password=None)  # type: ignore[assignment]
    try:
        ciphertext = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise SensitiveValueError("the value is not base64") from None
    try:
        return private_key.decrypt(ciphertext, _oaep()).decode("utf-8")  # type: ignore[union-attr]
    except ValueError:
        raise SensitiveValueError("decryption failed") from None


class TransmissionKeyCache:
    """Holds the current transmission key until `margin_s` before it expires.

    `fetch()` returns an object with `public_key` (PEM) and `expires` (an aware datetime or a
    Unix timestamp). `clock` is the wall clock (Unix seconds), since `expires` is one.
    """

    def __init__(
        self,
        fetch: Callable[[], object],
        *,
        clock: Callable[[], float] = time.time,
        margin_s: float = KEY_EXPIRY_MARGIN_S,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._margin_s = margin_s
        self._lock = threading.Lock()
        self._key: object | None = None
        self._valid_until: float | None = None
        self.fetches = 0

    def get(self, *, refresh: bool = False) -> object:
        with self._lock:
            if refresh or self._key is None or self._valid_until is None or self._clock() >= self._valid_until:
                key = self._fetch()
                self.fetches += 1
                self._key = key
                self._valid_until = _unix(getattr(key, "expires", None)) - self._margin_s
            return self._key

    def invalidate(self) -> None:
        with self._lock:
            self._key = None
            self._valid_until = None


def _unix(expires: object) -> float:
    if isinstance(expires, datetime):
        return expires.timestamp()
    if isinstance(expires, (int, float)):
        return float(expires)
    # No usable expiry: use the key once (it is refetched for the next value).
    return float("-inf")
