#!/usr/bin/env python3
"""Runs a command with a private SeaweedFS S3 store beside it, named in PIER_TEST_S3_*.

`swift test` runs the storage driver contract against S3 with it (S3Tests): the same checks
the filesystem and in-memory drivers pass, against a real store. The store is killed
afterwards, whatever the command did; its exit code is the command's.

    python scripts/with_seaweedfs.py swift test
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "Tests" / "EndToEnd"))
from harness.seaweed import SeaweedFS, missing_weed  # noqa: E402


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    problem = missing_weed()
    if problem:
        print(f"with_seaweedfs: {problem}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="pier-seaweed-") as workdir:
        store = SeaweedFS(Path(workdir) / "weed").start()
        try:
            bucket = store.new_bucket("contract")
            env = dict(os.environ)
            env.update({
                "PIER_TEST_S3_ENDPOINT": store.endpoint,
                "PIER_TEST_S3_BUCKET": bucket,
                "PIER_TEST_S3_ACCESS_KEY": store.access_key,
                "PIER_TEST_S3_SECRET_KEY": store.secret_key,
            })
            return subprocess.call(sys.argv[1:], env=env)
        finally:
            store.kill()


if __name__ == "__main__":
    sys.exit(main())
