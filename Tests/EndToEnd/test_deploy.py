"""What ships beside the binary: the systemd unit (pier-only)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from harness.server import pier_bin
from harness.tools import require_tool

pytestmark = pytest.mark.pier_only

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "pier.service"


def unit_for_this_build(tmp_path: Path) -> Path:
    """The unit with ExecStart pointing at the binary under test (verify checks it exists)."""
    unit = tmp_path / "pier.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/pier", pier_bin()))
    return unit


def test_the_systemd_unit_verifies_with_a_dedicated_user_a_state_directory_and_hardening(tmp_path, need_pier):
    require_tool("systemd-analyze")
    text = UNIT.read_text()
    assert "ExecStart=/usr/local/bin/pier serve /etc/pier/config.yml" in text
    for line in ("User=pier", "StateDirectory=pier", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "ReadWritePaths=/var/lib/pier", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE"):
        assert line in text, line
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit_for_this_build(tmp_path))],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "pier.service" not in done.stderr, done.stderr


def test_the_systemd_unit_is_rated_well_hardened(tmp_path, need_pier):
    require_tool("systemd-analyze")
    done = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit_for_this_build(tmp_path))],
                          capture_output=True, text=True, timeout=60)
    found = re.search(r"Overall exposure level for pier.service: ([0-9.]+)", done.stdout + done.stderr)
    assert found, done.stdout + done.stderr
    # systemd rates 0–10; below 2 is what it calls "OK" for a network service.
    assert float(found.group(1)) < 2.0, done.stdout[-2000:]
