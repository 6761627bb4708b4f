"""Server-side readings from /proc: CPU time, resident memory, peak resident memory.

- `cpu_seconds(pid)`: utime + stime of the process (all its threads) in seconds.
- `reset_peak(pid)`: `echo 5 > /proc/PID/clear_refs` resets VmHWM to the current RSS,
  so VmHWM read afterwards is the peak *during* the measurement.
- `Sampler`: a background thread reading CPU and VmRSS every `interval` seconds, so
  the CPU spent in a sub-window (pier-bench's timed phase, without its untimed setup)
  can be interpolated.

Each takes one pid or a list of them: a server that is several processes (nginx's
master and workers in front of a registry) is read as their sum.
"""

from __future__ import annotations

import os
import threading
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


Pids = int | list[int]


def _each(pids: Pids) -> list[int]:
    return [pids] if isinstance(pids, int) else list(pids)


def children(pid: int) -> list[int]:
    """The direct children of pid (nginx's workers, of its master)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pids: Pids) -> float:
    return sum(_cpu_seconds(pid) for pid in _each(pids))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # the command name (field 2) may contain spaces and parentheses: split after the last ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / CLK_TCK


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss_mib(pids: Pids) -> float:
    return sum(status_kib(pid, "VmRSS") for pid in _each(pids)) / 1024.0


def peak_rss_mib(pids: Pids) -> float:
    """VmHWM, summed over several processes (at least the peak of their sum)."""
    return sum(status_kib(pid, "VmHWM") for pid in _each(pids)) / 1024.0


def reset_peak(pids: Pids) -> bool:
    """Reset VmHWM to the current RSS. False when the kernel refuses (then VmHWM is the lifetime peak)."""
    try:
        for pid in _each(pids):
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
        return True
    except OSError:
        return False


class Sampler:
    """Samples (monotonic time, cpu seconds, rss MiB) of one process (or several, summed) in a thread."""

    def __init__(self, pid: Pids, interval: float = 0.05):
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sampler-{_each(pid)[0]}", daemon=True)

    def _sample(self) -> None:
        try:
            self.samples.append((time.monotonic(), cpu_seconds(self.pid), rss_mib(self.pid)))
        except (OSError, ValueError, KeyError):
            pass  # the process is gone; the caller notices

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self) -> "Sampler":
        self._sample()
        self._thread.start()
        return self

    def stop(self) -> "Sampler":
        self._stop.set()
        self._thread.join()
        self._sample()
        return self

    def cpu_at(self, t: float) -> float | None:
        """CPU seconds at monotonic time t, linearly interpolated between samples."""
        s = self.samples
        if not s:
            return None
        if t <= s[0][0]:
            return s[0][1]
        if t >= s[-1][0]:
            return s[-1][1]
        lo, hi = 0, len(s) - 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if s[mid][0] <= t:
                lo = mid
            else:
                hi = mid
        (t0, c0, _), (t1, c1, _) = s[lo], s[hi]
        if t1 == t0:
            return c0
        return c0 + (c1 - c0) * (t - t0) / (t1 - t0)

    def cpu_between(self, start: float, end: float) -> float | None:
        a, b = self.cpu_at(start), self.cpu_at(end)
        if a is None or b is None:
            return None
        return max(0.0, b - a)

    def max_rss_between(self, start: float, end: float) -> float | None:
        vals = [r for (t, _, r) in self.samples if start <= t <= end]
        return max(vals) if vals else None
