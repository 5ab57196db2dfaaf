"""Keep credentials out of logs.

Connectors register every secret they hold (API keys, passwords, tokens) here. A logging
filter on the root handlers replaces any registered value that would otherwise reach a log
record, whatever logger emitted it (ours, httpx's, Dagster's captured stdout).
"""

from __future__ import annotations

import logging
import threading

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is scrubbed from every log line from now on."""
    if value and len(value) >= _MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(value)
        install_log_redaction()


def redact(text: str) -> str:
    """Replace every registered secret in text with ***."""
    if not _secrets:
        return text
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the filter to the root logger's handlers (idempotent)."""
    global _installed
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    if not _installed:
        # Loggers created later propagate to root; filters on the root *logger* only see
        # records logged to it directly, so we also filter at the record factory level.
        old_factory = logging.getLogRecordFactory()

        def factory(*args, **kwargs):
            record = old_factory(*args, **kwargs)
            if _secrets:
                RedactingFilter().filter(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
