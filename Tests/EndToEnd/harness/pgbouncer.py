"""PgBouncer (Debian's `pgbouncer` package) in front of the tests' PostgreSQL: the pooler
many PostgreSQL deployments put between their applications and the server.

In transaction pooling each transaction may run on another server connection, so what a
client left on one (a prepared statement, a session setting) is not there the next time,
and PgBouncer refuses startup parameters it does not track. `server_round_robin` and two
server connections make every such loss show at once instead of by chance.

    bouncer = PgBouncer(tmp / "pgb", postgres).start()
    url = bouncer.url(database)      # postgres://pier@127.0.0.1:PORT/<database>?sslmode=disable
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from .postgres import USER, PostgreSQL, as_postgres_user, missing_runuser
from .process import ManagedProcess
from .server import free_port


class PgBouncerStartError(RuntimeError):
    pass


def pgbouncer_bin() -> str | None:
    """Debian installs it in /usr/sbin, which a user's PATH may not name."""
    return shutil.which("pgbouncer", path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]))


def pgbouncer_version(binary: str) -> tuple[int, ...]:
    """`PgBouncer 1.18.0` (or `1.25.0rc1`) as (1, 18, 0); (0,) when unreadable."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    found = re.match(r"PgBouncer (\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(n) for n in found.groups() if n is not None) if found else (0,)


def missing_pgbouncer() -> str | None:
    """Why PgBouncer cannot be started here, or None."""
    if pgbouncer_bin() is None:
        return "PgBouncer is not installed (apt-get install pgbouncer)"
    return missing_runuser()


class PgBouncer(ManagedProcess):
    LIVE: set = set()

    def __init__(self, workdir: Path | str, postgres: PostgreSQL, pool_mode: str = "transaction"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        # PgBouncer refuses to run as root: its files live where the `postgres` user can
        # reach them.
        self.home = Path(tempfile.mkdtemp(prefix="pier-pgbouncer-"))
        self.log_path = self.home / "pgbouncer.log"
        self.port = free_port()
        self.postgres = postgres
        self.pool_mode = pool_mode

    def start(self, timeout: float = 30.0) -> "PgBouncer":
        binary = pgbouncer_bin()
        (self.home / "users.txt").write_text(f'"{USER}" ""\n')
        # From 1.21 PgBouncer can carry prepared statements across server connections
        # (on by default from 1.24); off, it behaves as the older ones many still run.
        carried = "max_prepared_statements = 0\n" if pgbouncer_version(binary) >= (1, 21) else ""
        (self.home / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.postgres.port}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {self.home / 'users.txt'}\n"
            f"pool_mode = {self.pool_mode}\n"
            # Both server connections open from the start, taken in turn: a statement one
            # transaction prepared is missing in the next, every time, not by chance.
            "default_pool_size = 2\n"
            "min_pool_size = 2\n"
            "server_round_robin = 1\n"
            f"logfile = {self.log_path}\n"
            + carried
        )
        if os.geteuid() == 0:
            os.chmod(self.home, 0o755)
            for path in [self.home, *self.home.iterdir()]:
                shutil.chown(path, "postgres", "postgres")
        self.proc = subprocess.Popen(as_postgres_user([binary, str(self.home / "pgbouncer.ini")]),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.returncode = None
        self.LIVE.add(self)

        def probe() -> str | None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return None
            except OSError as error:
                return str(error)

        self.wait_until_ready(probe, timeout, PgBouncerStartError, "pgbouncer", f"127.0.0.1:{self.port}", interval=0.1)
        return self

    def url(self, database: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def stop(self, timeout: float = 30.0) -> int | None:
        code = super().stop(timeout)
        # The log outlives the run, beside the test's other files.
        if self.log_path.exists():
            shutil.copy(self.log_path, self.workdir / "pgbouncer.log")
        shutil.rmtree(self.home, ignore_errors=True)
        return code
