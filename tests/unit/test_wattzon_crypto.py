"""Encryption of WattzOn sensitive fields: RSA-OAEP (SHA-1, MGF1-SHA-1), base64."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from connectors.wattzon.crypto import (
    SensitiveValueError,
    TransmissionKeyCache,
    decrypt_sensitive_value,
    encrypt_sensitive_value,
    max_plaintext_bytes,
)


@pytest.fixture(scope="module")
def keypair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public_pem


@pytest.mark.parametrize("plaintext", ["hunter2", "pässwörd-ünïcode-✓", "x" * 214, " spaces kept "])
def test_round_trip(keypair, plaintext):
    private, public_pem = keypair
    value = encrypt_sensitive_value(public_pem, plaintext)
    assert plaintext not in value
    assert len(base64.b64decode(value, validate=True)) == 256  # one RSA block of a 2048-bit key
    assert decrypt_sensitive_value(private, value) == plaintext


def test_the_padding_is_oaep_sha1_like_pycryptos_default(keypair):
    """Decrypt with an independently built OAEP(SHA-1, MGF1-SHA-1): what PyCrypto's
    PKCS1_OAEP.new(key).decrypt would accept."""
    private, public_pem = keypair
    value = encrypt_sensitive_value(public_pem, "s3cret")
    oaep_sha1 = padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    assert private.decrypt(base64.b64decode(value), oaep_sha1) == b"s3cret"
    oaep_sha256 = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    with pytest.raises(ValueError):
        private.decrypt(base64.b64decode(value), oaep_sha256)


def test_encryption_is_randomized(keypair):
    _, public_pem = keypair
    assert encrypt_sensitive_value(public_pem, "same") != encrypt_sensitive_value(public_pem, "same")


def test_pkcs1_pem_public_key_is_accepted(keypair):
    private, _ = keypair
    pkcs1 = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1).decode()
    assert "BEGIN RSA PUBLIC KEY" in pkcs1
    assert decrypt_sensitive_value(private, encrypt_sensitive_value(pkcs1, "abc")) == "abc"


def test_private_key_as_pem_decrypts(keypair):
    private, public_pem = keypair
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert decrypt_sensitive_value(pem, encrypt_sensitive_value(public_pem, "abc")) == "abc"


def test_too_long_value_is_refused_without_showing_it(keypair):
    private, public_pem = keypair
    secret = "p" * 215
    assert max_plaintext_bytes(private.public_key()) == 214
    with pytest.raises(SensitiveValueError) as info:
        encrypt_sensitive_value(public_pem, secret)
    assert "215 bytes" in str(info.value) and "at most 214" in str(info.value)
    assert secret not in str(info.value)


def test_bad_keys_are_clear_errors():
    with pytest.raises(SensitiveValueError, match="not a PEM public key"):
        encrypt_sensitive_value("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----", "x")
    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SensitiveValueError, match="not an RSA key"):
        encrypt_sensitive_value(ec_pem, "x")


def test_decryption_failures_do_not_leak(keypair):
    private, _ = keypair
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_pem = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(SensitiveValueError, match="decryption failed"):
        decrypt_sensitive_value(private, encrypt_sensitive_value(other_pem, "topsecret"))
    with pytest.raises(SensitiveValueError, match="not base64"):
        decrypt_sensitive_value(private, "***not base64***")


def test_key_cache_reuses_until_shortly_before_expiry():
    now = {"t": 1_000_000.0}
    fetched = []

    def fetch():
        key = SimpleNamespace(public_key=f"key-{len(fetched)}", expires=datetime.fromtimestamp(now["t"] + 600, UTC))
        fetched.append(key)
        return key

    cache = TransmissionKeyCache(fetch, clock=lambda: now["t"], margin_s=60)
    first = cache.get()
    assert cache.get() is first
    now["t"] += 539  # 61 s before expiry: still good
    assert cache.get() is first
    now["t"] += 1  # 60 s before expiry: refetch
    second = cache.get()
    assert second is not first and len(fetched) == 2
    assert cache.get(refresh=True) is not second and cache.fetches == 3
    cache.invalidate()
    cache.get()
    assert cache.fetches == 4


def test_key_cache_handles_unix_timestamps_and_missing_expiry():
    now = {"t": 100.0}
    keys = iter([SimpleNamespace(public_key="a", expires=1000), SimpleNamespace(public_key="b", expires=None),
                 SimpleNamespace(public_key="c", expires=None)])
    cache = TransmissionKeyCache(lambda: next(keys), clock=lambda: now["t"], margin_s=10)
    assert cache.get().public_key == "a"
    assert cache.get().public_key == "a"
    now["t"] = 995.0
    assert cache.get().public_key == "b"
    assert cache.get().public_key == "c"  # no expiry known: never reused
