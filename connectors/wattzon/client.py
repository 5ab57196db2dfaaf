"""WattzOn Link API 4.0 client (seed: wattzon-link-api-4.0.txt).

Authentication is a client TLS certificate that WattzOn signs (`cert_file` + `key_file`, PEM,
as the reference client uses them: client.crt and client.key). Server verification is always
on; `ca_file` adds a CA to trust (a sandbox's throwaway CA). A plain-HTTP base URL is accepted
for loopback sandboxes only, and needs no certificate.

Paths end with a trailing slash, like WattzOn's reference clients. Errors are
`{"error": "..."}` bodies; the message reaches the raised VendorError.

Sensitive fields (utility-site username and password) are encrypted with the transmission key
(see crypto.py); plaintexts are registered with the log redactor and never logged or put in
exception messages.
"""

from __future__ import annotations

import logging
import os
import re
import ssl
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from ipaddress import ip_address
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import httpx
import orjson
from pydantic import BaseModel, ValidationError

from ..core.errors import (
    ConfigurationError,
    VendorAuthError,
    VendorNotFoundError,
    VendorRequestError,
    VendorResponseError,
)
from ..core.http import default_error_parser, RetryPolicy, Timeouts, VendorHttpClient
from ..core.records import Parsed, describe_validation_error, parse_records
from ..core.redaction import register_secret
from .crypto import TransmissionKeyCache, encrypt_sensitive_value
from .jobs import JobTimeoutError, poll_until_finished
from .records import (
    BillRecord,
    CertificateInfo,
    IntervalPeriod,
    JobStatus,
    Profile,
    TransmissionKey,
    UtilityProvider,
    ZipInfo,
)

DEFAULT_BASE_URL = "https://api.wattzon.com/link/4.0"
VENDOR = "wattzon"
JOB_MODES = ("bill", "interval")
INTERVAL_FORMATS = ("source", "csv", "json")
CERT_ENV, KEY_ENV, CA_ENV, BASE_URL_ENV = "WATTZON_CERT_FILE", "WATTZON_KEY_FILE", "WATTZON_CA_FILE", "WATTZON_BASE_URL"
_YM = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

log = logging.getLogger("connectors.wattzon")

__all__ = [
    "DEFAULT_BASE_URL", "INTERVAL_FORMATS", "JOB_MODES", "JobStatus", "JobTimeoutError", "NoAgentError",
    "SensitiveFieldExistsError", "TransmissionKeyError", "WattzonClient", "check_connection_settings",
    "wattzon_error_parser",
]
T = TypeVar("T")
R = TypeVar("R", bound=BaseModel)


# -- errors ---------------------------------------------------------------------------------------


class SensitiveFieldExistsError(VendorRequestError):
    """409 on add: the profile already has this sensitive field (WattzOn never overwrites)."""

    def __init__(self, profile_id: int | str, field: str, endpoint: str) -> None:
        self.profile_id = profile_id
        self.field = field
        super().__init__(
            VENDOR, "POST", endpoint, 409,
            f"profile {profile_id} already has a {field!r} field; change it instead (change_sensitive_field)",
        )


class TransmissionKeyError(VendorAuthError):
    """The API refused a sensitive value as encrypted with an expired key, even after a fresh key."""


class NoAgentError(VendorNotFoundError):
    """404 "No agent for provider" on start job: WattzOn cannot extract data for this utility."""


# WattzOn's error body is `{"error": "..."}`: the shared parser reads it.
wattzon_error_parser = default_error_parser


# -- configuration --------------------------------------------------------------------------------


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _readable_file(path: str | os.PathLike[str], env_name: str, what: str) -> str:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ConfigurationError(f"{env_name}: the WattzOn {what} {path!r} does not exist or is not a file")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise ConfigurationError(f"{env_name}: the WattzOn {what} {path!r} is not readable ({exc.strerror})") from None
    return path


def check_connection_settings(
    base_url: str, cert_file: str | os.PathLike[str] | None, key_file: str | os.PathLike[str] | None,
    ca_file: str | os.PathLike[str] | None,
) -> tuple[tuple[str, str] | None, str | None]:
    """Validate the settings up front and return (cert, ca_file) for the HTTP layer.

    https needs a client certificate and key (WATTZON_CERT_FILE, WATTZON_KEY_FILE); plain http
    is for loopback sandboxes only. Files must exist and be readable, and the key must match
    the certificate.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigurationError(f"{BASE_URL_ENV}: {base_url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{BASE_URL_ENV}: {base_url!r} is plain HTTP; WattzOn authenticates clients by TLS certificate, "
            "so only https is allowed (plain HTTP is for loopback sandboxes)"
        )
    ca = _readable_file(ca_file, CA_ENV, "CA file") if ca_file else None
    if parts.scheme == "http":
        return None, ca
    missing = [name for name, value in ((CERT_ENV, cert_file), (KEY_ENV, key_file)) if not value]
    if missing:
        raise ConfigurationError(
            f"WattzOn authenticates clients by TLS certificate: set {CERT_ENV} and {KEY_ENV} to the PEM "
            f"certificate WattzOn signed (client.crt) and its private key (client.key); missing: {', '.join(missing)}"
        )
    cert = _readable_file(cert_file, CERT_ENV, "client certificate")  # type: ignore[arg-type]
    key = _readable_file(key_file, KEY_ENV, "client key")  # type: ignore[arg-type]
    try:
        ssl.create_default_context().load_cert_chain(certfile=cert, keyfile=key)
    except ssl.SSLError as exc:
        raise ConfigurationError(
            f"{CERT_ENV}/{KEY_ENV}: cannot load the client certificate and key as a PEM pair "
            f"(a key that does not match the certificate, an encrypted key, or not PEM): {exc.reason or exc}"
        ) from None
    return (cert, key), ca


def _iso(value: date | datetime | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


def _segment(value: Any, what: str) -> str:
    text = str(value).strip()
    if not text:
        raise ValueError(f"{what} must not be empty")
    return quote(text, safe="")


def _profile_segment(profile_id: int | str) -> str:
    if isinstance(profile_id, bool):
        raise ValueError(f"profile id must be a number, got {profile_id!r}")
    return _segment(profile_id, "profile id")


def _list_in(body: Any, key: str, method: str, endpoint: str) -> list:
    """WattzOn documents list outputs as `{key: [...]}`; its examples show bare arrays: take both."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(key), list):
        return body[key]
    if isinstance(body, dict) and key in body and body[key] is None:
        return []
    raise VendorResponseError(
        VENDOR, method, endpoint, 200, f"expected a JSON array or an object with {key!r}, got {str(body)[:120]!r}"
    )


def _ids(values: list, method: str, endpoint: str) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise VendorResponseError(VENDOR, method, endpoint, 200, f"expected integer ids, got {value!r}") from None
    return out


# -- the client -----------------------------------------------------------------------------------


class WattzonClient:
    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        cert_file: str | os.PathLike[str] | None = None,
        key_file: str | os.PathLike[str] | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        retry: RetryPolicy = RetryPolicy(),
        timeouts: Timeouts = Timeouts(),
        max_concurrency: int = 4,
        transport_sleep: Callable[[float], None] | None = None,
        key_clock: Callable[[], float] = time.time,
    ) -> None:
        cert, ca = check_connection_settings(base_url, cert_file, key_file, ca_file)
        kwargs = {"sleep": transport_sleep} if transport_sleep else {}
        self.http = VendorHttpClient(
            VENDOR, base_url, retry=retry, timeouts=timeouts, max_concurrency=max_concurrency,
            cert=cert, ca_file=ca, error_parser=wattzon_error_parser, **kwargs,
        )
        self.base_url = self.http.base_url
        self._base_path = urlsplit(self.base_url).path.rstrip("/")
        self.keys = TransmissionKeyCache(self.transmission_key, clock=key_clock)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> WattzonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"WattzonClient(base_url={self.base_url!r})"

    # -- basic services ---------------------------------------------------------------------------

    def echo(self, string: str) -> str:
        """GET /echo/?string=...: the connectivity (and certificate) check; returns the echoed string."""
        body = self.http.get_json("/echo/", params={"string": string})
        if not isinstance(body, dict) or "string" not in body:
            raise VendorResponseError(VENDOR, "GET", "/echo/", 200, f"unexpected echo answer {str(body)[:120]!r}")
        return str(body["string"])

    def certificate_info(self) -> CertificateInfo:
        return self._record(CertificateInfo, "GET", "/certificates/info/")

    # -- ZIP and utility information ----------------------------------------------------------------

    def zip_info(self, zipcode: str) -> ZipInfo:
        return self._record(ZipInfo, "GET", f"/zips/{_segment(zipcode, 'zipcode')}/", "/zips/{zipcode}/")

    def find_utilities(self, zipcode: str | None = None, name: str | None = None, type: str | None = None) -> list[int]:
        """Provider ids by ZIP code and/or name (one of them is required), optionally by type."""
        if not zipcode and not name:
            raise ValueError("find_utilities needs a zipcode or a name")
        body = self.http.get_json("/utilities/", params={"zipcode": zipcode, "name": name, "type": type})
        return _ids(_list_in(body, "provider_ids", "GET", "/utilities/"), "GET", "/utilities/")

    def utility(self, provider_id: int | str) -> UtilityProvider:
        path = f"/utilities/{_segment(provider_id, 'provider id')}/"
        return self._record(UtilityProvider, "GET", path, "/utilities/{provider_id}/", defaults={"id": provider_id})

    # -- profiles ---------------------------------------------------------------------------------

    def list_profiles(
        self,
        ids: int | str | Iterable[int | str] | None = None,
        provider: int | str | None = None,
        start_date: date | datetime | str | None = None,
        end_date: date | datetime | str | None = None,
        tags: str | Iterable[str] | None = None,
        label: str | None = None,
    ) -> list[int]:
        """Profile ids matching the filters (all of them without filters)."""
        if ids is not None and not isinstance(ids, (int, str)):
            ids = ",".join(str(i) for i in ids)
        if tags is not None and not isinstance(tags, str):
            tags = ",".join(tags)
        params = {"id": ids, "provider": provider, "start_date": _iso(start_date), "end_date": _iso(end_date),
                  "tags": tags, "label": label}
        body = self.http.get_json("/profiles/", params=params)
        return _ids(_list_in(body, "profiles", "GET", "/profiles/"), "GET", "/profiles/")

    def get_profile(self, profile_id: int | str) -> Profile:
        path = f"/profiles/{_profile_segment(profile_id)}/"
        # The seed's retrieve answer names no id: it is the one asked for.
        return self._record(Profile, "GET", path, "/profiles/{profile_id}/", defaults={"id": profile_id})

    def create_profile(self, provider_id: int | str, zipcode: str | None = None, label: str | None = None) -> Profile:
        payload: dict[str, Any] = {"provider_id": int(provider_id)}
        if zipcode is not None:
            payload["zipcode"] = str(zipcode)
        if label is not None:
            payload["label"] = label
        profile = self._record(Profile, "POST", "/profiles/", json=payload)
        if profile.id is None:
            raise VendorResponseError(VENDOR, "POST", "/profiles/", 200, "the create answer carries no profile id")
        log.info("wattzon: created profile %s for provider %s", profile.id, provider_id)
        return profile

    def change_profile(self, profile_id: int | str, **fields: Any) -> Profile:
        """PUT provider_id, zipcode and/or label; returns the profile as changed."""
        allowed = {"provider_id", "zipcode", "label"}
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise ValueError(f"change_profile accepts {sorted(allowed)}, not {unknown}")
        payload = {k: v for k, v in fields.items() if v is not None}
        path = f"/profiles/{_profile_segment(profile_id)}/"
        return self._record(Profile, "PUT", path, "/profiles/{profile_id}/", json=payload,
                            defaults={"id": profile_id})

    def delete_profile(self, profile_id: int | str) -> None:
        self.http.request("DELETE", f"/profiles/{_profile_segment(profile_id)}/")

    # -- sensitive fields -------------------------------------------------------------------------

    def transmission_key(self) -> TransmissionKey:
        """A fresh transmission key (uncached; the client caches through `self.keys`)."""
        return self._record(TransmissionKey, "GET", "/profiles/keys/")

    def list_sensitive_fields(self, profile_id: int | str) -> list[str]:
        endpoint = f"/profiles/{_profile_segment(profile_id)}/sensitive/"
        body = self.http.get_json(endpoint)
        return [str(f) for f in _list_in(body, "fields", "GET", "/profiles/{profile_id}/sensitive/")]

    def add_sensitive_field(self, profile_id: int | str, field: str, plaintext: str) -> None:
        """Encrypt and add a field; SensitiveFieldExistsError if the profile has it already."""
        self._send_sensitive("POST", profile_id, field, plaintext)

    def change_sensitive_field(self, profile_id: int | str, field: str, plaintext: str) -> None:
        """Encrypt and replace an existing field (404 if it does not exist)."""
        self._send_sensitive("PUT", profile_id, field, plaintext)

    def delete_sensitive_field(self, profile_id: int | str, field: str) -> None:
        self.http.request("DELETE", f"/profiles/{_profile_segment(profile_id)}/sensitive/{_segment(field, 'field')}/")

    def set_sensitive_field(self, profile_id: int | str, field: str, plaintext: str) -> None:
        """Add the field, or change it if it exists already."""
        try:
            self.add_sensitive_field(profile_id, field, plaintext)
        except SensitiveFieldExistsError:
            self.change_sensitive_field(profile_id, field, plaintext)

    def _send_sensitive(self, method: str, profile_id: int | str, field: str, plaintext: str) -> None:
        register_secret(plaintext)
        if not field or not isinstance(field, str):
            raise ValueError("a sensitive field needs a name (e.g. 'username', 'password')")
        if not isinstance(plaintext, str) or plaintext == "":
            raise ValueError(f"the value for sensitive field {field!r} must be non-empty text")
        endpoint = f"/profiles/{_profile_segment(profile_id)}/sensitive/"
        for attempt in (1, 2):
            key = self.keys.get(refresh=attempt > 1)
            value = encrypt_sensitive_value(key.public_key, plaintext)  # type: ignore[attr-defined]
            try:
                self.http.request(method, endpoint, json={"field": field, "value": value})
            except VendorAuthError as exc:
                if not _is_key_expired(exc.detail):
                    raise
                if attempt == 1:
                    log.info("wattzon: transmission key expired for %s %s; fetching a new key and retrying once",
                             method, endpoint)
                    self.keys.invalidate()
                    continue
                raise TransmissionKeyError(
                    VENDOR, method, endpoint, exc.status,
                    f"the {field!r} value was refused as encrypted with an expired transmission key, even with a "
                    f"key fetched just before (vendor said: {exc.detail}); check this machine's clock",
                    attempts=2,
                ) from None
            except VendorRequestError as exc:
                if exc.status == 409 and method == "POST":
                    raise SensitiveFieldExistsError(profile_id, field, endpoint) from None
                raise
            log.info("wattzon: %s sensitive field %r on profile %s", "added" if method == "POST" else "changed",
                     field, profile_id)
            return

    # -- tags -------------------------------------------------------------------------------------

    def list_tags(self, profile_id: int | str) -> list[str]:
        body = self.http.get_json(f"/profiles/{_profile_segment(profile_id)}/tags/")
        values = _list_in(body, "tags", "GET", "/profiles/{profile_id}/tags/")
        return [str(v.get("name")) if isinstance(v, dict) else str(v) for v in values]

    def add_tag(self, profile_id: int | str, name: str) -> bool:
        """Attach a tag; True if WattzOn created the tag (201), False if it existed (200)."""
        if not name:
            raise ValueError("a tag needs a name")
        response = self.http.request("POST", f"/profiles/{_profile_segment(profile_id)}/tags/", json={"name": name})
        return response.status_code == 201

    def delete_tag(self, profile_id: int | str, name: str) -> None:
        if not name:
            raise ValueError("a tag needs a name")
        self.http.request("DELETE", f"/profiles/{_profile_segment(profile_id)}/tags/", json={"name": name})

    # -- jobs -------------------------------------------------------------------------------------

    def start_job(self, profile_id: int | str, mode: str = "bill", send_notification: bool = True) -> str:
        """Start an extraction job; returns its job id."""
        if mode not in JOB_MODES:
            raise ValueError(f"mode must be one of {JOB_MODES}, got {mode!r}")
        if not isinstance(send_notification, bool):
            raise ValueError("send_notification must be a boolean (WattzOn rejects other values)")
        payload = {"profile_id": int(profile_id), "mode": mode, "send_notification": send_notification}
        try:
            body = self._object("POST", "/jobs/", json=payload)
        except VendorNotFoundError as exc:
            if "agent" in exc.detail.lower():
                raise NoAgentError(
                    VENDOR, "POST", "/jobs/", exc.status,
                    f"{exc.detail}: WattzOn has no extraction agent for the utility provider of profile "
                    f"{profile_id}, so no job can run for it",
                ) from None
            raise
        job_id = body.get("job_id")
        if not job_id:
            raise VendorResponseError(VENDOR, "POST", "/jobs/", 200, f"no job_id in the answer {str(body)[:120]!r}")
        log.info("wattzon: started %s job %s for profile %s", mode, job_id, profile_id)
        return str(job_id)

    def job_status(self, job_id: str) -> JobStatus:
        path = f"/jobs/{_segment(job_id, 'job id')}/"
        return self._record(JobStatus, "GET", path, "/jobs/{job_id}/", defaults={"job_id": job_id})

    def last_job(self, profile_id: int | str) -> JobStatus:
        path = f"/jobs/profiles/{_profile_segment(profile_id)}/"
        return self._record(JobStatus, "GET", path, "/jobs/profiles/{profile_id}/")

    def wait_for_job(
        self,
        job_id: str,
        *,
        deadline_s: float = 900,
        initial_interval_s: float = 2,
        max_interval_s: float = 60,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> JobStatus:
        """Poll until `finished` (never decided by the status name); JobTimeoutError after the deadline."""
        return poll_until_finished(
            lambda: self.job_status(job_id), job_id, deadline_s=deadline_s, initial_interval_s=initial_interval_s,
            max_interval_s=max_interval_s, sleep=sleep, clock=clock,
        )

    # -- data -------------------------------------------------------------------------------------

    def bills_raw(self, profile_id: int | str, job_id: str | None = None) -> list:
        body = self.http.get_json(f"/data/bills/{_profile_segment(profile_id)}/", params={"job_id": job_id})
        return _list_in(body, "data", "GET", "/data/bills/{profile_id}/")

    def bills(self, profile_id: int | str, job_id: str | None = None) -> Parsed[BillRecord]:
        return self._parse(self.bills_raw(profile_id, job_id), BillRecord, "bills", "/data/bills/{profile_id}/")

    def bill_pdf(self, profile_id: int | str, bill_id: str | None = None) -> bytes:
        """The bill's PDF, by profile id and bill id, or by the record's `pdf` URI
        (`bill_pdf(record.pdf)`): an absolute path under the API, or a full URL on the same host."""
        if bill_id is None:
            if not isinstance(profile_id, str) or "/" not in profile_id:
                raise ValueError("bill_pdf needs a profile id and a bill id, or a bill record's pdf URI")
            path = self._path_of_uri(profile_id)
        else:
            path = f"/data/bills/{_profile_segment(profile_id)}/{_segment(bill_id, 'bill id')}/pdf/"
        return self.http.request("GET", path).content

    def interval_periods_raw(self, profile_id: int | str) -> list:
        body = self.http.get_json(f"/data/intervals/{_profile_segment(profile_id)}/")
        return _list_in(body, "intervals", "GET", "/data/intervals/{profile_id}/")

    def interval_periods(self, profile_id: int | str) -> Parsed[IntervalPeriod]:
        return self._parse(self.interval_periods_raw(profile_id), IntervalPeriod, "interval periods",
                           "/data/intervals/{profile_id}/")

    def interval_file(self, profile_id: int | str, meter_id: str, ym: str, format: str = "json") -> bytes:
        """One month of one meter's intervals: `source` (the utility's file), or WattzOn's
        normalized `csv` or `json`."""
        if format not in INTERVAL_FORMATS:
            raise ValueError(f"format must be one of {INTERVAL_FORMATS}, got {format!r}")
        if not isinstance(ym, str) or not _YM.match(ym):
            raise ValueError(f"ym must be a month as YYYY-MM, got {ym!r}")
        path = f"/data/intervals/{_profile_segment(profile_id)}/{_segment(meter_id, 'meter id')}/monthly/{ym}/"
        return self.http.request("GET", path, params={"format": format}).content

    # -- helpers ----------------------------------------------------------------------------------

    def _object(self, method: str, path: str, endpoint: str | None = None, *, json: Any = None) -> dict:
        response = self.http.request(method, path, json=json)
        body = self.http.json_of(response, method, endpoint or path)
        if not isinstance(body, dict):
            raise VendorResponseError(VENDOR, method, endpoint or path, response.status_code,
                                      f"expected a JSON object, got {type(body).__name__}")
        return body

    def _record(self, model: type[R], method: str, path: str, endpoint: str | None = None, *, json: Any = None,
                defaults: Mapping[str, Any] | None = None) -> R:
        """One object answer as a typed record; `defaults` fill fields the answer leaves out (the
        id the request named). A body that does not fit the model is a VendorResponseError."""
        body = self._object(method, path, endpoint, json=json)
        for name, value in (defaults or {}).items():
            if body.get(name) is None:
                body[name] = value
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            raise VendorResponseError(VENDOR, method, endpoint or path, 200, describe_validation_error(exc)) from None

    def _path_of_uri(self, uri: str) -> str:
        """A path relative to the base URL from an API URI; refuses other hosts and paths outside
        the API, since the client certificate must only ever go to WattzOn."""
        parts = urlsplit(uri)
        if parts.scheme or parts.netloc:
            base = urlsplit(self.base_url)
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                raise ValueError(f"the URI {uri!r} is not on the API host {base.netloc}")
        path = parts.path
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path):]
        elif self._base_path:
            raise ValueError(f"the URI {uri!r} is not under the API path {self._base_path}/")
        if ".." in path.split("/"):
            raise ValueError(f"the URI {uri!r} is not a plain API path")
        return path + (f"?{parts.query}" if parts.query else "")

    def _parse(self, raws: Any, model: type[T], what: str, endpoint: str) -> Parsed[T]:
        try:
            return parse_records(raws, model, what)
        except ValueError as exc:
            raise VendorResponseError(VENDOR, "GET", endpoint, 200, str(exc)) from None


def _is_key_expired(detail: str | None) -> bool:
    text = (detail or "").lower()
    return "expired" in text and "key" in text
