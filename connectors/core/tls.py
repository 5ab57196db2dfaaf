"""Throwaway PKI for sandboxes that authenticate clients with TLS certificates (WattzOn Link).

    pki = make_throwaway_pki(tmp_path)                     # CA, server cert, client cert
    server = SandboxServer(app, ssl_certfile=pki.server_cert_file, ssl_keyfile=pki.server_key_file,
                           ssl_ca_certs=pki.ca_file, ssl_cert_reqs=ssl.CERT_REQUIRED)
    httpx.Client(verify=pki.client_ssl_context())          # trusts the CA, presents the client cert

Files written to `directory` (PEM): `ca.pem` (the CA certificate, the trust anchor of both
sides), `ca.key` (its key, so more client certificates can be issued later with
`issue_client_cert`), `server.pem` + `server.key` (for 127.0.0.1 and localhost), `client.pem` +
`client.key` (subject CN = `client_name`, valid `client_valid_days` days, 365 by default: WattzOn
certificates expire after a year).

`make_untrusted_client(directory)` issues a client certificate from a different, throwaway CA
(files `untrusted-client.pem` / `untrusted-client.key`): a server trusting only `ca.pem` rejects
it during the TLS handshake. Everything is generated with trustme; keys are RSA 2048 for client
certificates (as `openssl req -newkey rsa:2048` in WattzOn's onboarding) and for the server.
Nothing here is meant for production use.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import trustme

DEFAULT_CLIENT_NAME = "utility-data-client"
CLIENT_VALID_DAYS = 365
# Certificates start being valid a little in the past so clock skew never makes them "not yet valid".
_BACKDATE = timedelta(hours=1)
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class ClientCertificate:
    cert_file: Path
    key_file: Path

    def ssl_context(self, ca_file: Path | str | None = None) -> ssl.SSLContext:
        """A client context presenting this certificate; trusts `ca_file` (or the system store)."""
        context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


@dataclass(frozen=True)
class SandboxPKI:
    ca_file: Path
    server_cert_file: Path
    server_key_file: Path
    client_cert_file: Path
    client_key_file: Path

    @property
    def client(self) -> ClientCertificate:
        return ClientCertificate(self.client_cert_file, self.client_key_file)

    @property
    def ca_key_file(self) -> Path:
        return self.ca_file.with_name("ca.key")

    def client_ssl_context(self) -> ssl.SSLContext:
        """Trusts the throwaway CA and presents the client certificate (for httpx `verify=`)."""
        return self.client.ssl_context(self.ca_file)

    def trust_only_context(self) -> ssl.SSLContext:
        """Trusts the throwaway CA and presents no client certificate."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_throwaway_pki(
    directory: Path | str,
    client_name: str = DEFAULT_CLIENT_NAME,
    *,
    client_valid_days: int = CLIENT_VALID_DAYS,
) -> SandboxPKI:
    """Create a CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="Utility data sandbox CA", key_type=trustme.KeyType.RSA)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ca.private_key_pem.write_to_path(str(directory / "ca.key"))

    server = ca.issue_cert("127.0.0.1", "localhost", common_name="127.0.0.1", key_type=trustme.KeyType.RSA)
    server_cert_file, server_key_file = directory / "server.pem", directory / "server.key"
    _write_leaf(server, server_cert_file, server_key_file)

    client = _issue_client(ca, client_name, days=client_valid_days)
    client_cert_file, client_key_file = directory / "client.pem", directory / "client.key"
    _write_leaf(client, client_cert_file, client_key_file)
    return SandboxPKI(ca_file, server_cert_file, server_key_file, client_cert_file, client_key_file)


def load_or_make_pki(directory: Path | str, client_name: str = DEFAULT_CLIENT_NAME) -> SandboxPKI:
    """The PKI already in `directory` if complete and its client certificate is still valid, else a new one.

    Lets a long-running sandbox (`python -m connectors.wattzon.sandbox --pki-dir ...`) keep the
    files a client was configured with across restarts.
    """
    directory = Path(directory)
    pki = SandboxPKI(directory / "ca.pem", directory / "server.pem", directory / "server.key",
                     directory / "client.pem", directory / "client.key")
    files = (pki.ca_file, pki.ca_key_file, pki.server_cert_file, pki.server_key_file,
             pki.client_cert_file, pki.client_key_file)
    if all(f.is_file() for f in files):
        from cryptography import x509

        try:
            cert = x509.load_pem_x509_certificate(pki.client_cert_file.read_bytes())
        except ValueError:
            cert = None
        if cert is not None and cert.not_valid_after_utc > datetime.now(UTC) + timedelta(days=1):
            return pki
    return make_throwaway_pki(directory, client_name)


def issue_client_cert(
    pki: SandboxPKI,
    directory: Path | str,
    client_name: str = DEFAULT_CLIENT_NAME,
    *,
    stem: str = "extra-client",
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> ClientCertificate:
    """Another client certificate signed by `pki`'s CA (e.g. an expired one for tests)."""
    ca = trustme.CA.from_pem(pki.ca_file.read_bytes(), pki.ca_key_file.read_bytes())
    now = datetime.now(UTC)
    leaf = _issue_client(ca, client_name, not_before=not_before or now - _BACKDATE,
                         not_after=not_after or now + timedelta(days=CLIENT_VALID_DAYS))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = directory / f"{stem}.pem", directory / f"{stem}.key"
    _write_leaf(leaf, cert_file, key_file)
    return ClientCertificate(cert_file, key_file)


def make_untrusted_client(directory: Path | str, client_name: str = DEFAULT_CLIENT_NAME) -> ClientCertificate:
    """A client certificate signed by a different, throwaway CA that no sandbox trusts."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    rogue = trustme.CA(organization_name="Untrusted sandbox CA", key_type=trustme.KeyType.RSA)
    leaf = _issue_client(rogue, client_name, days=CLIENT_VALID_DAYS)
    cert_file, key_file = directory / "untrusted-client.pem", directory / "untrusted-client.key"
    _write_leaf(leaf, cert_file, key_file)
    return ClientCertificate(cert_file, key_file)


def _issue_client(
    ca: trustme.CA,
    client_name: str,
    *,
    days: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> trustme.LeafCert:
    if not client_name:
        raise ValueError("client_name must not be empty")
    now = datetime.now(UTC)
    if days is not None:
        not_before, not_after = now - _BACKDATE, now + timedelta(days=days)
    # The subject alternative name must be a valid identity; the CN carries the name as given.
    identity = client_name if _HOSTNAME.match(client_name) or "@" in client_name else "client.sandbox.invalid"
    return ca.issue_cert(
        identity,
        common_name=client_name,
        organization_name="Utility data sandbox client",
        not_before=not_before,
        not_after=not_after,
        key_type=trustme.KeyType.RSA,
    )


def _write_leaf(leaf: trustme.LeafCert, cert_file: Path, key_file: Path) -> None:
    # The leaf alone: the CA is distributed separately as ca.pem.
    leaf.cert_chain_pems[0].write_to_path(str(cert_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    key_file.chmod(0o600)


__all__ = [
    "CLIENT_VALID_DAYS",
    "DEFAULT_CLIENT_NAME",
    "ClientCertificate",
    "SandboxPKI",
    "issue_client_cert",
    "load_or_make_pki",
    "make_throwaway_pki",
    "make_untrusted_client",
]
