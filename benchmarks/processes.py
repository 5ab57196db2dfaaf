"""Measured subprocesses and the sandbox process.

Every contender runs as its own process so its peak RSS and CPU time are its own: the parent
reaps it with `os.wait4`, which returns the rusage of exactly that child (ru_maxrss in KiB on
Linux, including any descendants it waited for). The sandbox runs in a separate, long-lived
process, so its CPU (rendering JSON) is never counted as ours; its CPU time is sampled from
/proc before and after each measured process instead.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
_CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    """One finished subprocess: wall time, CPU time and peak RSS as the kernel reports them."""

    argv: list[str]
    returncode: int
    wall_s: float
    user_s: float
    sys_s: float
    peak_rss_mb: float
    log_path: Path

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.sys_s

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def measure(argv: list[str], *, log_path: Path, env: dict[str, str] | None = None,
            cwd: Path = PROJECT_ROOT) -> Measured:
    """Run argv to completion; stdout and stderr go to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd)
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    return Measured(argv=argv, returncode=proc.returncode, wall_s=wall, user_s=usage.ru_utime,
                    sys_s=usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024, log_path=log_path)


def system_busy_seconds() -> float:
    """CPU-seconds all processes of the machine have used so far (every core, /proc/stat)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / _CLK_TCK


def wait_for_quiet(max_wait_s: float, *, threshold_cores: float = 0.25, sample_s: float = 1.0) -> float:
    """Wait until the machine is nearly idle (other sessions' tests, builds...); returns the seconds waited.

    Gives up after max_wait_s: the measurement then runs anyway and reports the other CPU it saw.
    """
    started = time.perf_counter()
    while True:
        before = system_busy_seconds()
        time.sleep(sample_s)
        busy = (system_busy_seconds() - before) / sample_s
        waited = time.perf_counter() - started
        if busy < threshold_cores or waited >= max_wait_s:
            return waited


def check(result: Measured, what: str) -> Measured:
    if result.returncode != 0:
        raise RuntimeError(f"{what} failed with exit code {result.returncode}; log {result.log_path}:\n"
                           f"{result.log_tail()}")
    return result


class SandboxProcess:
    """`python -m connectors.bayou.sandbox` on a free loopback port, in its own process."""

    def __init__(self, *, customers: int, months: int, seed: int, as_of: date, api_key: str, log_path: Path) -> None:
        self.argv = [
            PYTHON, "-m", "connectors.bayou.sandbox", "--port", "0", "--customers", str(customers),
            "--months", str(months), "--seed", str(seed), "--as-of", as_of.isoformat(), "--api-key", api_key,
        ]
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.base_url = ""
        self.startup_s = 0.0

    def __enter__(self) -> SandboxProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=log, cwd=PROJECT_ROOT, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()  # the base URL, printed once the server listens
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}\n{self.log_path.read_text(errors='replace')}")
        self.base_url = line
        self.startup_s = time.perf_counter() - started
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.base_url or 'not started'})"

    @property
    def root_url(self) -> str:
        return self.base_url.removesuffix("/api/v2")

    def state(self) -> dict:
        with urllib.request.urlopen(f"{self.root_url}/_sandbox/state", timeout=30) as response:
            return json.loads(response.read())

    def cpu_seconds(self) -> float:
        """user + system CPU time the sandbox has used so far."""
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK  # utime, stime (fields 14, 15)

    def peak_rss_mb(self) -> float:
        assert self.proc is not None
        with open(f"/proc/{self.proc.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0


class ReplayProcess(SandboxProcess):
    """`python -m benchmarks.replay`: recorded responses served from memory (like the anchors' server)."""

    def __init__(self, *, bodies: Path, log_path: Path) -> None:
        self.argv = [PYTHON, "-m", "benchmarks.replay", "--bodies", str(bodies), "--port", "0"]
        self.log_path = log_path
        self.proc = None
        self.base_url = ""
        self.startup_s = 0.0
