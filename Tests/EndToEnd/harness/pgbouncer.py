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
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from .postgres import USER, PostgreSQL
from .process import ManagedProcess
from .server import free_port


class PgBouncerStartError(RuntimeError):
    pass


def missing_pgbouncer() -> str | None:
    """Why PgBouncer cannot be started here, or None."""
    if shutil.which("pgbouncer") is None:
        return "PgBouncer is not installed (apt-get install pgbouncer)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


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
        (self.home / "users.txt").write_text(f'"{USER}" ""\n')
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
            "default_pool_size = 2\n"
            "server_round_robin = 1\n"
            f"logfile = {self.log_path}\n"
        )
        argv = ["pgbouncer", str(self.home / "pgbouncer.ini")]
        if os.geteuid() == 0:
            os.chmod(self.home, 0o755)
            for path in [self.home, *self.home.iterdir()]:
                shutil.chown(path, "postgres", "postgres")
            argv = ["runuser", "-u", "postgres", "--"] + argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        shutil.rmtree(self.home, ignore_errors=True)
        return code
