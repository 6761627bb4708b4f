#!/usr/bin/env bash
# Builds Pier's OCI image offline, from the release binary, into an OCI layout:
#
#   deploy/image/build.sh [LAYOUT_DIR] [TAG]      (default .build/image, latest)
#   skopeo copy oci:.build/image:latest docker-daemon:pier:latest   # or any registry
#
# From scratch: the stripped binary at /pier, the shared libraries it links (glibc, libstdc++,
# zlib; the Swift runtime is linked in statically), CA certificates for S3, ACME, webhooks
# and mirror upstreams. Laid out as the registry:2 image is, so swapping the image keeps a
# deployment's volume, configuration and commands: content (and the index) in the volume
# /var/lib/registry, registry:2's default configuration at /etc/docker/registry/config.yml,
# which the command serves (`pier /etc/docker/registry/config.yml`; a mounted config.yml
# there or REGISTRY_* variables change it), port 5000, `/` as the working directory (so
# `docker exec … bin/registry garbage-collect …` works as it does there). What Pier keeps
# beside content that is in S3 (the index, event queues) goes under /data unless configured:
# mount a volume there. It runs as root as registry:2 runs, so
# the files an old registry wrote stay writable. `--user 65532` (the pier user) runs it
# unprivileged over a volume that user owns.
#
# PIER_BINARY=path uses a binary already built instead of building the release one.
# PIER_IMAGE_GZIP_LEVEL=1..9 (default 9) sets how hard the layer is compressed: tests and the
# benchmark's smoke run, which build the image of a debug binary and never ship it, use 1.
set -euo pipefail
cd "$(dirname "$0")/../.."
layout="${1:-.build/image}"
tag="${2:-latest}"
binary="${PIER_BINARY:-}"
gzip_level="${PIER_IMAGE_GZIP_LEVEL:-9}"
case "$gzip_level" in
  [1-9]) ;;
  *) echo "build.sh: PIER_IMAGE_GZIP_LEVEL must be 1 to 9, not '$gzip_level'" >&2; exit 1 ;;
esac
if [ "$(id -u)" != 0 ]; then
  echo "build.sh: run as root (the image's files are owned by root and by the pier user)" >&2
  exit 1
fi
if [ ! -r /etc/ssl/certs/ca-certificates.crt ]; then
  echo "build.sh: /etc/ssl/certs/ca-certificates.crt is missing (apt-get install ca-certificates)" >&2
  exit 1
fi
for tool in umoci strip ldd; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is needed (apt-get install umoci binutils)" >&2; exit 1; }
done
# Built after those checks: a release build takes minutes, wasted on a run that cannot finish.
if [ -z "$binary" ]; then
  swift build -c release --product pier --static-swift-stdlib
  binary="$(swift build -c release --show-bin-path)/pier"
fi
version="$(git describe --tags --always --dirty 2>/dev/null || echo dev)"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
# The remote without any credentials in it (https://user:token@host/… → https://host/…).
source="${PIER_SOURCE_URL:-$(git remote get-url origin 2>/dev/null | sed -E 's#^([a-z+]+://)[^@/]*@#\1#' || true)}"
source="${source:-unknown}"
case "$(uname -m)" in x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root/etc/ssl/certs" "$root/etc/docker/registry" "$root/tmp" "$root/var/lib/registry" "$root/data"
strip --strip-all -o "$root/pier" "$binary"
# The libraries the binary loads, at the paths it loads them from.
for lib in $(ldd "$binary" | awk '/=> \// { print $3 } /^[ \t]*\/[^ ]*ld-linux/ { print $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp deploy/image/config.yml "$root/etc/docker/registry/config.yml"
# registry:3 keeps its config at /etc/distribution/config.yml: a file mounted there lands on
# the one the command serves. `docker exec … bin/registry garbage-collect …` finds Pier, and
# the guides' `docker run --entrypoint htpasswd registry:2.3.0 -Bbn user pw` finds Pier's
# htpasswd.
mkdir -p "$root/etc/distribution" "$root/bin"
ln -s /etc/docker/registry/config.yml "$root/etc/distribution/config.yml"
ln -s /pier "$root/bin/registry"
ln -s /pier "$root/bin/htpasswd"
printf 'root:x:0:0:root:/root:/sbin/nologin\npier:x:65532:65532:pier:/var/lib/registry:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\npier:x:65532:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"
# Root (the default user, as registry:2) writes anywhere; the pier user, for `--user 65532`,
# owns the volume and /data (where the index and queues go beside a bucket).
chown 65532:65532 "$root/var/lib/registry" "$root/data"
chmod 0755 "$root/var/lib/registry" "$root/data"

rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:$tag"
umoci unpack --image "$layout:$tag" "$work/bundle" >/dev/null
cp -a "$root/." "$work/bundle/rootfs/"
umoci repack --image "$layout:$tag" --history.created_by "deploy/image/build.sh" "$work/bundle"
umoci config --image "$layout:$tag" \
  --os linux --architecture "$arch" \
  --config.user 0:0 --config.workingdir / \
  --config.volume /var/lib/registry --config.exposedports 5000/tcp \
  --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --config.env REGISTRY_CONFIGURATION_PATH=/etc/docker/registry/config.yml \
  --config.entrypoint /pier --config.cmd /etc/docker/registry/config.yml \
  --config.label "org.opencontainers.image.title=pier" \
  --config.label "org.opencontainers.image.description=Container image registry and index in one binary" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.revision=$revision" \
  --config.label "org.opencontainers.image.source=$source"
# umoci compresses in independent 1 MiB blocks (parallel gzip); one gzip -9 stream over the
# same tar is about a tenth smaller, still plain gzip every client reads. The layer blob is
# replaced, then the manifest that names it, then the index entry that names the manifest.
blobs="$layout/blobs/sha256"
store_blob() { # store_blob FILE: moves it into the layout under its digest, prints the hex
  local hex
  hex="$(sha256sum "$1" | cut -d' ' -f1)"
  mv "$1" "$blobs/$hex"
  echo "$hex"
}
manifest_hex="$(sed -E 's/.*"digest":"sha256:([0-9a-f]{64})".*/\1/' "$layout/index.json")"
manifest_size="$(stat -c %s "$blobs/$manifest_hex")"
layer_hex="$(sed -E 's/.*"layers":\[\{[^}]*"digest":"sha256:([0-9a-f]{64})".*/\1/' "$blobs/$manifest_hex")"
layer_size="$(stat -c %s "$blobs/$layer_hex")"
gzip -dc "$blobs/$layer_hex" | gzip -"$gzip_level" -n > "$work/layer.tar.gz"
new_layer_size="$(stat -c %s "$work/layer.tar.gz")"
new_layer_hex="$(store_blob "$work/layer.tar.gz")"
sed "s/\"digest\":\"sha256:$layer_hex\",\"size\":$layer_size/\"digest\":\"sha256:$new_layer_hex\",\"size\":$new_layer_size/" \
  "$blobs/$manifest_hex" > "$work/manifest.json"
grep -q "$new_layer_hex" "$work/manifest.json" || { echo "build.sh: could not rewrite the manifest" >&2; exit 1; }
new_manifest_size="$(stat -c %s "$work/manifest.json")"
new_manifest_hex="$(store_blob "$work/manifest.json")"
sed -i "s/\"digest\":\"sha256:$manifest_hex\",\"size\":$manifest_size/\"digest\":\"sha256:$new_manifest_hex\",\"size\":$new_manifest_size/" \
  "$layout/index.json"
grep -q "$new_manifest_hex" "$layout/index.json" || { echo "build.sh: could not rewrite the index" >&2; exit 1; }
umoci gc --layout "$layout"
echo "built $layout:$tag ($version, $revision)"
