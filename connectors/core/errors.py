"""Exceptions raised by connectors.

Every error names the vendor, the endpoint and what went wrong, and never carries a
credential: messages are built from the method, the path (no query string, no auth
header) and the vendor's own error code and message.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base class for everything a connector raises on purpose."""


class ConfigurationError(ConnectorError):
    """Settings (env vars, policy file) are missing or malformed."""


class VendorError(ConnectorError):
    """A vendor call failed for good (after retries where they apply)."""

    def __init__(
        self,
        vendor: str,
        method: str,
        endpoint: str,
        status: int | None,
        detail: str,
        *,
        error_code: str | None = None,
        attempts: int = 1,
    ) -> None:
        self.vendor = vendor
        self.method = method
        self.endpoint = endpoint
        self.status = status
        self.detail = detail
        self.error_code = error_code
        self.attempts = attempts
        status_text = f"HTTP {status}" if status is not None else "no response"
        code = f" [{error_code}]" if error_code else ""
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        super().__init__(f"{vendor}: {method} {endpoint} failed with {status_text}{code}{tries}: {detail}")


class VendorAuthError(VendorError):
    """401/403: the credentials are missing, wrong, expired or not allowed."""


class VendorNotFoundError(VendorError):
    """404: the resource does not exist (or is not visible to these credentials)."""


class VendorRequestError(VendorError):
    """Any other 4xx: the request was wrong; retrying will not help."""


class VendorUnavailableError(VendorError):
    """429/5xx/connection errors that outlasted the retry policy."""


class VendorResponseError(VendorError):
    """The vendor answered 2xx with a body we cannot read (not JSON, wrong shape)."""
