"""Build OCI / Docker images offline: random layers, configs, manifests, indexes,
artifacts, and OCI image layouts on disk (for `skopeo copy oci:DIR:TAG`)."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def dumps(obj) -> bytes:
    """Compact canonical-ish JSON, the way most clients serialise manifests."""
    return json.dumps(obj, separators=(",", ":")).encode()


@dataclass
class Blob:
    data: bytes
    media_type: str = "application/octet-stream"
    diff_id: str | None = None  # for layers: digest of the uncompressed tar

    @property
    def digest(self) -> str:
        return sha256(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self, **extra) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}


EMPTY_CONFIG = Blob(b"{}", OCI_EMPTY)


@dataclass
class Manifest:
    """A manifest or index as exact bytes plus everything it references."""

    data: bytes
    media_type: str
    blobs: list[Blob] = field(default_factory=list)
    children: list["Manifest"] = field(default_factory=list)

    @property
    def digest(self) -> str:
        return sha256(self.data)

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def json(self) -> dict:
        return json.loads(self.data)

    def descriptor(self, **extra) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size, **extra}

    def all_blobs(self) -> list[Blob]:
        out = list(self.blobs)
        for child in self.children:
            out.extend(child.all_blobs())
        return out


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o755
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def layer(files: dict[str, bytes], docker: bool = False) -> Blob:
    raw = tar_bytes(files)
    return Blob(gzip.compress(raw, mtime=0), DOCKER_LAYER if docker else OCI_LAYER, sha256(raw))


def random_layer(size: int = 1024, docker: bool = False) -> Blob:
    return layer({f"file-{os.urandom(4).hex()}": random_bytes(size)}, docker)


def image(
    layers: int | list[Blob] = 1,
    layer_size: int = 1024,
    arch: str = "amd64",
    os_name: str = "linux",
    docker: bool = False,
    annotations: dict | None = None,
    subject: "Manifest | None" = None,
    labels: dict | None = None,
    created: str | None = None,
    settings: dict | None = None,
) -> Manifest:
    """A runnable-looking image: config with correct diff_ids, gzip layers; `labels` and
    `created` go into its config as a build would write them, and `settings` over its
    run settings (`config.config`: Entrypoint, Cmd, Env, ExposedPorts, User, WorkingDir…)."""
    if isinstance(layers, int):
        layers = [random_layer(layer_size, docker) for _ in range(layers)]
    config = {
        "architecture": arch,
        "os": os_name,
        "config": {"Cmd": ["/bin/sh"], "Env": [f"NONCE={os.urandom(8).hex()}"]},
        "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]},
        "history": [{"created_by": "pier e2e"} for _ in layers],
    }
    if labels:
        config["config"]["Labels"] = labels
    if settings:
        config["config"].update(settings)
    if created:
        config["created"] = created
    config_blob = Blob(dumps(config), DOCKER_CONFIG if docker else OCI_CONFIG)
    media_type = DOCKER_MANIFEST if docker else OCI_MANIFEST
    body = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": config_blob.descriptor(),
        "layers": [l.descriptor() for l in layers],
    }
    if annotations:
        body["annotations"] = annotations
    if subject is not None:
        body["subject"] = subject.descriptor()
    return Manifest(dumps(body), media_type, [config_blob, *layers])


def index(manifests: list[Manifest], docker: bool = False, annotations: dict | None = None) -> Manifest:
    """An OCI index (or Docker manifest list) whose children carry their platform."""
    media_type = DOCKER_LIST if docker else OCI_INDEX
    entries = []
    for m in manifests:
        entry = m.descriptor()
        if m.media_type in (OCI_MANIFEST, DOCKER_MANIFEST):
            cfg = json.loads(m.blobs[0].data)
            if "architecture" in cfg:
                entry["platform"] = {"architecture": cfg["architecture"], "os": cfg["os"]}
        entries.append(entry)
    body = {"schemaVersion": 2, "mediaType": media_type, "manifests": entries}
    if annotations:
        body["annotations"] = annotations
    return Manifest(dumps(body), media_type, [], list(manifests))


def artifact(
    artifact_type: str | None = "application/vnd.pier.test.artifact",
    blobs: list[Blob] | None = None,
    subject: Manifest | None = None,
    annotations: dict | None = None,
    config: Blob | None = None,
) -> Manifest:
    """An OCI 1.1 artifact: image manifest with artifactType, the empty config
    by default, the given layers (`[]` by default: OCI 1.1 allows no layers;
    pass `[EMPTY_CONFIG]` for the recommended empty-descriptor layer), optional
    subject."""
    config = config or EMPTY_CONFIG
    blobs = blobs if blobs is not None else []
    body = {"schemaVersion": 2, "mediaType": OCI_MANIFEST}
    if artifact_type:
        body["artifactType"] = artifact_type
    body["config"] = config.descriptor()
    body["layers"] = [b.descriptor() for b in blobs]
    if subject is not None:
        body["subject"] = subject.descriptor()
    if annotations:
        body["annotations"] = annotations
    return Manifest(dumps(body), OCI_MANIFEST, [config, *blobs])


# ---- OCI image layout on disk -------------------------------------------------


def write_oci_layout(directory: Path | str, manifest: Manifest, tag: str = "latest") -> Path:
    """Write `manifest` (image or index, with everything it references) as an
    OCI image layout with one tagged entry in index.json."""
    directory = Path(directory)
    blobs_dir = directory / "blobs" / "sha256"
    blobs_dir.mkdir(parents=True, exist_ok=True)
    (directory / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')

    def put(data: bytes) -> None:
        (blobs_dir / sha256(data).split(":", 1)[1]).write_bytes(data)

    def walk(m: Manifest) -> None:
        put(m.data)
        for b in m.blobs:
            put(b.data)
        for c in m.children:
            walk(c)

    walk(manifest)
    idx_path = directory / "index.json"
    idx = json.loads(idx_path.read_text()) if idx_path.exists() else {"schemaVersion": 2, "manifests": []}
    idx["manifests"] = [
        d for d in idx["manifests"] if d.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag
    ]
    idx["manifests"].append(manifest.descriptor(annotations={"org.opencontainers.image.ref.name": tag}))
    idx_path.write_text(json.dumps(idx))
    return directory


def oci_layout_descriptor(directory: Path | str, tag: str = "latest") -> dict:
    idx = json.loads((Path(directory) / "index.json").read_text())
    for d in idx["manifests"]:
        if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return d
    raise KeyError(tag)


def oci_layout_blob(directory: Path | str, digest: str) -> bytes:
    return (Path(directory) / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()


def reformat(m: Manifest) -> Manifest:
    """The same manifest with odd whitespace and reversed key order: different
    bytes (and digest) that a registry must store and return exactly."""

    def reverse(obj):
        if isinstance(obj, dict):
            return {k: reverse(obj[k]) for k in reversed(list(obj))}
        if isinstance(obj, list):
            return [reverse(x) for x in obj]
        return obj

    text = json.dumps(reverse(m.json), indent="\t ", separators=(" ,", " :  ")) + "\n\n"
    return Manifest(text.encode(), m.media_type, m.blobs, m.children)
