#!/usr/bin/env bash
# The single command that runs Pier's whole test suite on a fresh Debian 12
# machine (README and CI call exactly this):
#   1. install the Debian packages the tests drive (only the missing ones),
#   2. install the Python deps of the end-to-end suite into Tests/EndToEnd/.venv,
#   3. swift build (debug) and swift test (unit tests; the storage driver contract runs
#      against the filesystem, in-memory and S3 drivers, S3 on a private SeaweedFS),
#   4. pytest Tests/EndToEnd against the freshly built binary, then its core scenarios
#      again with the servers on S3 (SeaweedFS from pip), and the index suite again on
#      PostgreSQL (Debian's postgresql, started by the harness).
# Extra arguments go to pytest, e.g.  scripts/test.sh -m "not big"  or  -k manifests
set -euo pipefail
cd "$(dirname "$0")/.."

# The web UI tests' screenshots (Tests/EndToEnd/artifacts/web/<index database>/) packed
# into one file for CI to keep, whether the run passed or failed.
pack_screenshots() {
  local status=$?
  local artifacts=Tests/EndToEnd/artifacts
  if [ -d "$artifacts/web" ] && tar -czf "$artifacts/web-screenshots.tar.gz" -C "$artifacts" web; then
    echo "==> screenshots of the web UI: $PWD/$artifacts/web-screenshots.tar.gz"
    find "$PWD/$artifacts/web" -name '*.png' | sort | sed 's/^/    /'
  fi
  exit "$status"
}
trap pack_screenshots EXIT

APT_PACKAGES=(
  skopeo podman buildah umoci docker-registry busybox-static uidmap fuse-overlayfs
  python3 python3-venv python3-pip ca-certificates curl pebble nginx openssl docker.io
  postgresql pgbouncer golang-go chromium chromium-driver default-jre-headless systemd binutils runc
  apache2-utils tinyproxy iproute2
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "==> apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

VENV=Tests/EndToEnd/.venv
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> python3 -m venv $VENV"
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r Tests/EndToEnd/requirements.txt

echo "==> swift build ($(date +%T))"
swift build
echo "==> swift test (the storage contract's S3 checks against a private SeaweedFS) ($(date +%T))"
"$VENV/bin/python" scripts/with_seaweedfs.py swift test

BIN_DIR="$(swift build --show-bin-path)"
PIER_BIN="$BIN_DIR/pier"
export PIER_BIN
echo "==> pytest Tests/EndToEnd (PIER_BIN=$PIER_BIN) ($(date +%T))"
# Two workers, each taking whole files (a file's servers and daemons are made once, in one
# worker): the suite spends most of its time waiting on servers, clients and timeouts, and
# runs in about half the time on two cores. `harness.server.free_port` splits the port
# range between them.
XDIST=(-n 2 --dist loadfile)
"$VENV/bin/python" -m pytest Tests/EndToEnd "${XDIST[@]}" --durations=25 "$@"
# The core registry and client scenarios once more with every server on S3 (SeaweedFS);
# test_s3*.py above cover what only S3 has (redirects, outages, several instances).
S3_SUITE=(
  test_base.py test_blobs.py test_uploads.py test_manifests.py test_referrers.py test_tags_catalog.py
  test_clients.py test_docker_client.py test_robustness.py test_interop.py test_big_blob.py
  test_crash_safety.py test_lifecycle.py test_notifications.py test_auth_htpasswd.py test_access_policy.py
  test_sha512.py test_repository_delete.py
)
echo "==> pytest Tests/EndToEnd --storage=s3 ($(date +%T))"
(cd Tests/EndToEnd && "../../$VENV/bin/python" -m pytest "${XDIST[@]}" --storage=s3 "${S3_SUITE[@]}" "$@")
# The index suite once more on PostgreSQL (a private server started by the harness, a
# database per storage root): both engines run every index test.
echo "==> pytest Tests/EndToEnd --index=postgres ($(date +%T))"
(cd Tests/EndToEnd && "../../$VENV/bin/python" -m pytest "${XDIST[@]}" --index=postgres test_index.py test_namespaces.py test_access_tokens.py test_users.py test_repository_delete.py test_webhooks.py test_web.py "$@")
echo "==> pytest bench/tests ($(date +%T))"
"$VENV/bin/python" -m pytest bench/tests -q

# The benchmark is run on purpose, not here; this only proves its machinery still works,
# with tiny sizes and the debug binaries (its numbers mean nothing).
echo "==> bench/run.py --quick (smoke test) ($(date +%T))"
"$VENV/bin/python" bench/run.py --quick --no-doc --no-build --pier-bin "$PIER_BIN" --bench-bin "$BIN_DIR/pier-bench"

# The fuzz targets: their corpus (seeds and past findings) replayed by the ordinary build,
# then each target fuzzed briefly with libFuzzer, enough to prove the sanitizer builds run and
# catch a crash any input finds at once; finding more is scripts/fuzz.sh's (300 s per target,
# run on purpose), so CI stays within its time.
echo "==> fuzz corpus replayed, then 5 s of libFuzzer per target ($(date +%T))"
for target in oci http auth s3 config markdown; do
  "$BIN_DIR/pier-fuzz-$target" Fuzz/corpus/"$target"/*
done
# In this run's own .build: only the project's modules compile again, with the sanitizers.
PIER_FUZZ_SCRATCH=.build bash scripts/fuzz.sh 5
