"""What the machine can do without a registry: SHA-256 throughput of one core."""

from __future__ import annotations

import re
import subprocess


def parse_openssl_speed(text: str) -> float | None:
    """MB/s (10^6 B/s) from `openssl speed -evp sha256 -bytes 16384` output, whose last
    line is e.g. `sha256  2129625.09k`, "in 1000s of bytes per second processed"."""
    m = re.search(r"^sha256\s+([\d.]+)k\s*$", text, re.M | re.I)
    return float(m.group(1)) / 1000.0 if m else None


def openssl_sha256_mb_per_s(seconds: int) -> tuple[float | None, str]:
    """One core's SHA-256 rate on 16 KiB blocks; (MB/s, "") or (None, the output not understood)."""
    p = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", "16384", "-seconds", str(seconds)],
                       capture_output=True, text=True, timeout=seconds + 60)
    text = p.stdout + p.stderr
    value = parse_openssl_speed(text)
    return (value, "") if value is not None else (None, text[-500:])


def warm_memory(size: int) -> int:
    """Touches and frees `size` bytes, as pier-bench's --warm-memory does before a timed
    write (see bench/Sources/pier-bench/MemoryWarmer.swift for why); returns the bytes
    written."""
    import mmap

    if size <= 0:
        return 0
    block = b"\1" * (1 << 20)
    touched = 0
    with mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS) as m:
        for offset in range(0, size, len(block)):
            piece = block[:min(len(block), size - offset)]
            m[offset:offset + len(piece)] = piece
            touched += len(piece)
        assert m[size - 1] == 1
    return touched


def read_through(path) -> int:
    """Reads a file once, so what is measured next finds it in the page cache; returns the
    bytes read."""
    total = 0
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            total += len(chunk)
    return total


def disk_durable_write_mb_per_s(directory, size: int, chunk: int = 1 << 20) -> float:
    """MB/s of writing `size` bytes to a new file in `directory` and fdatasync-ing it: the
    disk's durable rate, reported beside nginx's PUT (which does not sync) as context; a
    registry that hashes what it stores is bound by SHA-256 well before this on a fast disk."""
    import os
    import time
    from pathlib import Path

    block = os.urandom(chunk)  # random, so no layer below can compress or deduplicate it
    path = Path(directory) / "disk-ceiling.tmp"
    start = time.monotonic()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        written = 0
        while written < size:
            n = min(chunk, size - written)
            os.write(fd, block[:n])
            written += n
        os.fdatasync(fd)
    finally:
        os.close(fd)
        elapsed = time.monotonic() - start
        path.unlink(missing_ok=True)
    return size / max(elapsed, 1e-9) / 1e6
