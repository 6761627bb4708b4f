"""A private PostgreSQL server (Debian's `postgresql` package) for the index's tests.

One `PostgreSQL` owns one `postgres` process: a cluster made by initdb in a temporary
directory, listening on a free port of 127.0.0.1, trusting local connections (the tests
are about Pier, not PostgreSQL's authentication), with durability off (fsync) so a test
database costs milliseconds. PostgreSQL refuses to run as root: as root the cluster
belongs to the `postgres` user the package creates.

    pg = PostgreSQL(tmp / "pg").start()
    url = pg.new_database()          # postgres://pier@127.0.0.1:PORT/pier_3?sslmode=disable
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .process import ManagedProcess
from .server import free_port

USER = "pier"


class PostgresStartError(RuntimeError):
    pass


def postgres_bin_dir() -> Path | None:
    """Debian's /usr/lib/postgresql/<version>/bin, the newest, or None."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(Path(d).parent.name) if Path(d).parent.name.isdigit() else 0)
    return Path(dirs[-1]) if dirs and (Path(dirs[-1]) / "initdb").exists() else None


def as_postgres_user(argv: list[str]) -> list[str]:
    """`argv` run as the `postgres` user when running as root: PostgreSQL and PgBouncer
    both refuse to run as root."""
    return ["runuser", "-u", "postgres", "--"] + argv if os.geteuid() == 0 else argv


def missing_runuser() -> str | None:
    """Why `as_postgres_user` cannot work here, or None."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


def missing_postgres() -> str | None:
    """Why a PostgreSQL cannot be started here, or None."""
    if postgres_bin_dir() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    return missing_runuser()


class PostgreSQL(ManagedProcess):
    LIVE: set = set()
    _numbers = itertools.count(1)

    def __init__(self, workdir: Path | str, tls=None):
        """`tls`: a server certificate (harness.pki's `Issued`) to serve TLS with, as a
        production server does; without it the server speaks plain TCP only."""
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "postgres.log"
        # The cluster lives where the `postgres` user can reach it (a test's tmp_path
        # has parents only root may enter).
        self.home = Path(tempfile.mkdtemp(prefix="pier-pg-"))
        self.data = self.home / "data"
        self.port = free_port()
        self.bin = postgres_bin_dir()
        self.tls = tls

    def start(self, timeout: float = 60.0) -> "PostgreSQL":
        reason = missing_postgres()
        if reason:
            raise PostgresStartError(reason)
        if os.geteuid() == 0:
            os.chmod(self.home, 0o755)
            shutil.chown(self.home, "postgres", "postgres")
        if not self.data.exists():
            subprocess.run(as_postgres_user([str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "-A", "trust",
                                           "--no-sync", "-E", "UTF8", "--locale=C"]),
                           check=True, capture_output=True, timeout=120)
        settings = []
        if self.tls is not None:
            # PostgreSQL reads its key only when the key's owner alone may.
            crt, key = self.tls.write(self.home, "server")
            os.chmod(key, 0o600)
            if os.geteuid() == 0:
                for path in (crt, key):
                    shutil.chown(path, "postgres", "postgres")
            settings += ["-c", "ssl=on", "-c", f"ssl_cert_file={crt}", "-c", f"ssl_key_file={key}"]
        cmd = as_postgres_user([
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-k", str(self.home),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off", "-c", "max_connections=400", *settings,
        ])
        with open(self.log_path, "ab") as logf:
            self.proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        self.returncode = None
        self.LIVE.add(self)

        def probe() -> str | None:
            result = self._psql("postgres", "SELECT 1")
            return None if result.returncode == 0 else result.stderr.strip() or "no answer"

        self.wait_until_ready(probe, timeout, PostgresStartError, "postgres", f"127.0.0.1:{self.port}", interval=0.1)
        return self

    def _psql(self, database: str, sql: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER,
                               "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql],
                              capture_output=True, text=True, timeout=30)

    def sql(self, database: str, sql: str) -> str:
        """Runs `sql` in `database` and returns psql's unaligned output."""
        result = self._psql(database, sql)
        if result.returncode != 0:
            raise RuntimeError(f"psql {database}: {result.stderr}")
        return result.stdout

    def url(self, database: str) -> str:
        return f"postgres://{USER}@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"pier_{os.getpid()}_{next(self._numbers)}"
        self.sql("postgres", f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self, timeout: float = 30.0) -> int | None:
        code = super().stop(timeout)
        shutil.rmtree(self.home, ignore_errors=True)
        return code

    def __enter__(self) -> "PostgreSQL":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
