"""WattzOn extraction jobs: status codes and polling.

The seed lists terminal and in-progress codes but warns that WattzOn adds new ones without
notice: "Always use the finished field of the job status endpoint to determine if the job is
complete." So nothing here depends on the lists being complete. They serve reporting only
(`JobStatus.is_success`, the CLI's exit code); polling stops on `finished` and nothing else,
and an unknown code is kept as sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..core.errors import ConnectorError
from .records import SUCCESS_STATES, JobStatus

log = logging.getLogger("connectors.wattzon.jobs")

__all__ = [
    "IN_PROGRESS_STATES", "KNOWN_STATES", "SUCCESS_STATES", "TERMINAL_STATES", "USER_ACTION_STATES",
    "JobStatus", "JobTimeoutError", "describe", "poll_until_finished",
]

# Terminal codes, in the seed's approximate order of frequency.
TERMINAL_STATES = (
    "success",
    "partial_success",
    "credential_error",
    "action_needed",
    "unexpected_presentation",
    "incomplete_parameters",
    "timeout_site",
    "site_error",
    "terminated",
    "agent_failure",
    "timeout_agent",
)
# In-progress codes, in the rough order they occur.
IN_PROGRESS_STATES = (
    "queued",
    "init",
    "start",
    "login",
    "account_navigation",
    "bill_extract",
    "bill_processing",
    "interval_extract",
    "interval_processing",
    "logout",
    "worker_wait",
)
# The end user must act (fix credentials, accept terms on the utility site) before a rerun helps.
USER_ACTION_STATES = frozenset({"credential_error", "action_needed", "incomplete_parameters"})
KNOWN_STATES = frozenset(TERMINAL_STATES) | frozenset(IN_PROGRESS_STATES)


class JobTimeoutError(ConnectorError):
    """The job did not finish before the caller's deadline (the job itself may still finish)."""

    def __init__(self, job_id: str, last: JobStatus | None, waited_s: float) -> None:
        self.job_id = job_id
        self.last = last
        self.waited_s = waited_s
        status = (last.job_status or "no status") if last is not None else "no status"
        super().__init__(
            f"wattzon: job {job_id} did not finish within {waited_s:.0f}s; last status {status!r} "
            f"(finished=false). The job may still complete: poll it again later."
        )


def describe(status: JobStatus) -> str:
    """One line for people: `success (finished)`, `login (running)`, `new_code (finished, unknown code)`."""
    state = "finished" if status.finished else "running"
    extra = "" if status.status in KNOWN_STATES or status.status is None else ", unknown code"
    detail = f": {status.detail}" if status.detail not in (None, "", {}, []) else ""
    return f"{status.status or 'no status'} ({state}{extra}){detail}"


def poll_until_finished(
    fetch: Callable[[], JobStatus],
    job_id: str,
    *,
    deadline_s: float = 900.0,
    initial_interval_s: float = 2.0,
    max_interval_s: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> JobStatus:
    """Call `fetch()` until it reports `finished`, sleeping with capped exponential backoff
    (initial, x2, ... up to max) and never past the deadline; raise JobTimeoutError after it."""
    if deadline_s < 0:
        raise ValueError("deadline_s must not be negative")
    if initial_interval_s <= 0 or max_interval_s < initial_interval_s:
        raise ValueError("need 0 < initial_interval_s <= max_interval_s")
    started = clock()
    interval = initial_interval_s
    last_code: str | None = None
    while True:
        status = fetch()
        if status.status != last_code:
            if status.status not in KNOWN_STATES and status.status is not None:
                log.info("wattzon: job %s reports a status code not in the documented list: %r",
                         job_id, status.job_status)
            log.debug("wattzon: job %s is %s", job_id, describe(status))
            last_code = status.status
        if status.finished:
            return status
        waited = clock() - started
        remaining = deadline_s - waited
        if remaining <= 0:
            raise JobTimeoutError(job_id, status, waited)
        sleep(min(interval, remaining))
        interval = min(interval * 2, max_interval_s)
