"""What every long-running child process of the tests shares: a log file, a live set that
an exit handler reaps, and a graceful stop with a kill as the last resort."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path


class ManagedProcess:
    """Subclasses set `proc`, `returncode` and `log_path`, add themselves to `LIVE` when
    they start, and may extend `_forget` (called once the process has ended)."""

    LIVE: set = set()
    proc: subprocess.Popen | None = None
    returncode: int | None = None
    log_path: Path

    @property
    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in `timeout`. Returns the exit code."""
        if self.proc is None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._forget()
        return self.returncode

    def kill(self) -> None:
        """SIGKILL at once (a crash)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._forget()

    def wait_until_ready(self, probe, timeout: float, error: type[Exception], name: str, where: str,
                         interval: float) -> None:
        """Calls `probe` every `interval` until it returns None (ready; otherwise it returns
        what it saw). Raises `error` with the log when the process exits first, or kills it
        and raises when `timeout` passes."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._forget()
                raise error(f"{name} exited with {self.proc.returncode} before it was ready\n"
                            f"--- log {self.log_path} ---\n{self.log[-8000:]}")
            last = probe()
            if last is None:
                return
            time.sleep(interval)
        log = self.log
        self.kill()
        raise error(f"{name} not ready on {where} after {timeout}s ({last})\n"
                    f"--- log {self.log_path} ---\n{log[-8000:]}")

    def _forget(self) -> None:
        self.returncode = self.proc.returncode if self.proc else None
        self.LIVE.discard(self)
