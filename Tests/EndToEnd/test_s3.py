"""Pier on S3 (SeaweedFS): presigned redirects, what a session leaves in the bucket,
the bucket shared with distribution 2.8.2 both ways, and a store that goes away in the
middle of pushes. The scale-out tests (several instances on one bucket) are in
test_s3_scaleout.py."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from concurrent.futures import ThreadPoolExecutor
import time
import urllib.parse

import pytest
import requests

from harness import Registry, images
from harness.client import assert_error
from harness.seaweed import SeaweedFS, missing_weed
from harness.server import ServerStartError, scripted_http_server
from harness.tools import eventually, in_ci
from test_interop import push_all, sample, verify_all

pytestmark = pytest.mark.pier_only

MiB = 1024 * 1024


def s3_storage(sw: SeaweedFS, bucket: str, redirect: bool = True, **extra) -> dict:
    storage = {"s3": {**sw.s3_config(bucket), **extra}}
    if not redirect:
        storage["redirect"] = {"disable": True}
    return {"storage": storage}


def started_seaweedfs(directory, **options) -> SeaweedFS:
    """A SeaweedFS of its own, started; skipped where weed is missing, failed in CI."""
    reason = missing_weed()
    if reason:
        if in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    return SeaweedFS(directory, **options).start()


@pytest.fixture
def private_seaweedfs(tmp_path):
    """A SeaweedFS of this test's own, which the test may stop and start."""
    sw = started_seaweedfs(tmp_path / "seaweedfs")
    yield sw
    sw.kill()


def test_blob_get_redirects_to_a_presigned_url_and_head_is_answered_here(make_server, seaweedfs):
    srv = make_server("pier", config=s3_storage(seaweedfs, seaweedfs.new_bucket()))
    reg = Registry(srv.url)
    data = images.random_bytes(300_000)
    digest = images.sha256(data)
    assert reg.push_blob("s3/redirect", data, mode="post").status_code == 201

    r = reg.get(f"/v2/s3/redirect/blobs/{digest}", allow_redirects=False)
    assert r.status_code == 307
    assert r.headers["Docker-Content-Digest"] == digest
    location = r.headers["Location"]
    assert location.startswith(seaweedfs.endpoint + "/")
    assert "X-Amz-Signature=" in location and "X-Amz-Expires=1200" in location
    # The URL needs no credentials of the client's own.
    fetched = requests.get(location, timeout=30)
    assert fetched.status_code == 200 and fetched.content == data
    ranged = requests.get(location, headers={"Range": "bytes=10-19"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == data[10:20]

    head = reg.head(f"/v2/s3/redirect/blobs/{digest}", allow_redirects=False)
    assert head.status_code == 200
    assert head.headers["Content-Length"] == str(len(data))
    assert head.headers["Docker-Content-Digest"] == digest
    # A blob this repository does not link is unknown, redirect or not.
    assert_error(reg.get(f"/v2/s3/other/blobs/{digest}", allow_redirects=False), 404, "BLOB_UNKNOWN")


def test_credentials_are_read_from_the_shared_credentials_file_as_distributions_chain_reads_them(make_server, seaweedfs, tmp_path):
    # A host set up with `aws configure`: no keys in the configuration or the environment,
    # the named profile of ~/.aws/credentials holds them.
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = WRONG\naws_secret_access_key = WRONG\n\n"
        f"[registry]\naws_access_key_id = {seaweedfs.access_key}\naws_secret_access_key = {seaweedfs.secret_key}\n"
    )
    config = s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False)
    del config["storage"]["s3"]["accesskey"], config["storage"]["s3"]["secretkey"]
    env = {"HOME": str(home), "AWS_PROFILE": "registry", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    srv = make_server("pier", config=config, env=env)
    reg = Registry(srv.url)
    img = images.image(layers=1)
    reg.push("s3/profile", "v1", img)
    assert reg.get_manifest("s3/profile", "v1").content == img.data
    for blob in img.blobs:
        assert reg.get_blob("s3/profile", blob.digest).content == blob.data


def role_keys(sw: SeaweedFS, lifetime: float) -> dict:
    """The JSON document AWS's role endpoints answer: the store's keys and an expiration
    `lifetime` seconds from now. AWS adds a session token; SeaweedFS takes a key sent with
    one for a temporary key of its own STS and refuses it, so this role has none (the
    token's header is tested in `S3DriverTests.temporaryKeysSendAndSignTheirSessionToken`)."""
    expiration = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lifetime)
    return {"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": sw.access_key, "SecretAccessKey": sw.secret_key,
            "Token": "", "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ")}


def metadata_service(sw: SeaweedFS, *, imdsv2: bool, lifetime: float, role: str | None = "registry-role"):
    """EC2's instance metadata service as far as a role's keys go: an IMDSv2 session token
    from `PUT /latest/api/token` (405 when `imdsv2` is off, as a service that only speaks
    IMDSv1), the role's name, then its keys. Every request is recorded in `requests`."""
    token = "imds-session-token"

    class Metadata(http.server.BaseHTTPRequestHandler):
        requests: list[tuple[str, str, str | None]] = []

        def log_message(self, *args):
            pass

        def answer(self, status: int, text: str = ""):
            body = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_PUT(self):
            Metadata.requests.append(("PUT", self.path, self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")))
            if self.path != "/latest/api/token" or not imdsv2:
                return self.answer(405)
            self.answer(200, token)

        def do_GET(self):
            Metadata.requests.append(("GET", self.path, self.headers.get("X-aws-ec2-metadata-token")))
            if imdsv2 and self.headers.get("X-aws-ec2-metadata-token") != token:
                return self.answer(401)
            prefix = "/latest/meta-data/iam/security-credentials/"
            if self.path == prefix and role:
                return self.answer(200, role + "\n")
            if role and self.path == prefix + role:
                return self.answer(200, json.dumps(role_keys(sw, lifetime)))
            self.answer(404)

    return Metadata


def without_keys(config: dict, home) -> tuple[dict, dict]:
    """`config` without the store's keys, and an environment without any source of keys
    either, whatever the machine running the tests has (a CI runner on ECS has a task role)."""
    del config["storage"]["s3"]["accesskey"], config["storage"]["s3"]["secretkey"]
    home.mkdir(exist_ok=True)
    unset = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
             "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
             "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
             "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT"]
    return config, {"HOME": str(home)} | {name: "" for name in unset}


@pytest.mark.parametrize("imdsv2", [True, False], ids=["imdsv2", "imdsv1"])
def test_an_instance_role_gives_the_keys_and_they_are_renewed_before_they_expire(make_server, seaweedfs, tmp_path, imdsv2):
    """On EC2 a registry is given a role, not keys: with none configured, the instance
    metadata service's keys are used (with an IMDSv2 session token where the service
    speaks it), and asked for again, while pulls go on, before they expire."""
    # Keys that expire 5 minutes and 1 second from now are due for renewal at once, but
    # keys are never asked for twice within 5 seconds (RenewingCredentials.retryInterval).
    handler = metadata_service(seaweedfs, imdsv2=imdsv2, lifetime=5 * 60 + 1)
    with scripted_http_server(handler) as url:
        config, env = without_keys(s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False), tmp_path / "home")
        srv = make_server("pier", config=config, env=env | {"AWS_EC2_METADATA_SERVICE_ENDPOINT": url})
        reg = Registry(srv.url)
        img = images.image(layers=1)
        reg.push("s3/role", "v1", img)
        assert reg.get_manifest("s3/role", "v1").content == img.data

        def key_fetches():
            return sum(1 for method, path, _ in handler.requests if method == "GET" and path.endswith("/registry-role"))

        # The start asked once (a slow start may already have renewed once more).
        before = key_fetches()
        assert before >= 1
        time.sleep(5)
        # Still valid: pushes (which write to the store, where a pull may be answered from
        # memory) go on with them while the renewal runs behind them.
        second = images.image(layers=1)
        reg.push("s3/role", "v2", second)
        deadline = time.monotonic() + 15
        while key_fetches() == before and time.monotonic() < deadline:
            assert reg.push_blob("s3/role", images.random_bytes(1024)).status_code == 201
            time.sleep(0.2)
        assert key_fetches() > before
        reg.push("s3/role", "v3", images.image(layers=1))
        for tag, pushed in (("v1", img), ("v2", second)):
            assert reg.get_manifest("s3/role", tag).content == pushed.data
            for blob in pushed.blobs:
                assert reg.get_blob("s3/role", blob.digest).content == blob.data

        if imdsv2:
            tokens = [r for r in handler.requests if r[0] == "PUT"]
            assert tokens and all(ttl == "21600" for _, _, ttl in tokens)
            assert all(token == "imds-session-token" for method, _, token in handler.requests if method == "GET")
        else:
            # The token request was refused: the keys were asked for without one.
            assert all(token is None for method, _, token in handler.requests if method == "GET")


def test_a_container_endpoint_gives_the_keys_with_its_authorization_token(make_server, seaweedfs, tmp_path):
    """ECS and EKS Pod Identity name an endpoint and a token file; the token, read from
    the file, goes in the Authorization header."""
    token_file = tmp_path / "pod-identity-token"
    token_file.write_text("pod-token\n")

    class Container(http.server.BaseHTTPRequestHandler):
        authorizations: list[str | None] = []

        def log_message(self, *args):
            pass

        def do_GET(self):
            Container.authorizations.append(self.headers.get("Authorization"))
            ok = self.path == "/v1/credentials" and self.headers.get("Authorization") == "pod-token"
            doc = role_keys(seaweedfs, 3600) if ok else {"code": "AccessDenied", "message": "bad token"}
            doc.pop("Code", None)
            body = json.dumps(doc).encode()
            self.send_response(200 if ok else 403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with scripted_http_server(Container) as url:
        config, env = without_keys(s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False), tmp_path / "home")
        env |= {"AWS_CONTAINER_CREDENTIALS_FULL_URI": url + "/v1/credentials",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file)}
        srv = make_server("pier", config=config, env=env)
        reg = Registry(srv.url)
        img = images.image(layers=1)
        reg.push("s3/pod", "v1", img)
        assert reg.get_manifest("s3/pod", "v1").content == img.data
        assert Container.authorizations == ["pod-token"]


def test_a_web_identity_assumes_its_role_at_sts(make_server, seaweedfs, tmp_path):
    """EKS's IAM roles for service accounts: the projected token, read from its file, is
    exchanged at STS (AssumeRoleWithWebIdentity, a call that needs no keys) for the role's."""
    token_file = tmp_path / "web-identity-token"
    token_file.write_text("eyJhbGciOiJSUzI1NiJ9.service-account\n")

    class STS(http.server.BaseHTTPRequestHandler):
        forms: list[dict] = []

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
            STS.forms.append(form)
            keys = role_keys(seaweedfs, 3600)
            body = (
                '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<AssumeRoleWithWebIdentityResult><Credentials>"
                f"<SessionToken></SessionToken><SecretAccessKey>{keys['SecretAccessKey']}</SecretAccessKey>"
                f"<Expiration>{keys['Expiration']}</Expiration><AccessKeyId>{keys['AccessKeyId']}</AccessKeyId>"
                "</Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with scripted_http_server(STS) as url:
        config, env = without_keys(s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False), tmp_path / "home")
        env |= {"AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file), "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/pier",
                "AWS_ROLE_SESSION_NAME": "registry-0", "AWS_ENDPOINT_URL_STS": url}
        srv = make_server("pier", config=config, env=env)
        reg = Registry(srv.url)
        img = images.image(layers=1)
        reg.push("s3/irsa", "v1", img)
        assert reg.get_manifest("s3/irsa", "v1").content == img.data
    assert STS.forms == [{
        "Action": "AssumeRoleWithWebIdentity", "Version": "2011-06-15", "RoleArn": "arn:aws:iam::123456789012:role/pier",
        "RoleSessionName": "registry-0", "WebIdentityToken": "eyJhbGciOiJSUzI1NiJ9.service-account",
    }]


def test_no_keys_and_no_role_stop_the_start_with_the_reason(make_server, seaweedfs, tmp_path):
    """Off EC2, or on an instance without a role, the start fails and says why, rather than
    answering every request with 503."""
    handler = metadata_service(seaweedfs, imdsv2=True, lifetime=3600, role=None)
    with scripted_http_server(handler) as url:
        config, env = without_keys(s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False), tmp_path / "home")
        srv = make_server("pier", config=config, env=env | {"AWS_EC2_METADATA_SERVICE_ENDPOINT": url}, start=False)
        with pytest.raises(ServerStartError):
            srv.start(timeout=15)
        log = srv.log_path.read_text()
        assert "storage.s3" in log and "no IAM role is attached to this instance" in log, log[-2000:]


def test_with_redirect_disabled_blobs_stream_through_pier_with_ranges(make_server, seaweedfs):
    srv = make_server("pier", config=s3_storage(seaweedfs, seaweedfs.new_bucket(), redirect=False))
    reg = Registry(srv.url)
    data = images.random_bytes(7 * MiB + 11)
    digest = images.sha256(data)
    assert reg.push_blob("s3/stream", data, mode="stream", chunk=MiB).status_code == 201
    r = reg.get(f"/v2/s3/stream/blobs/{digest}", allow_redirects=False)
    assert r.status_code == 200 and r.content == data
    r = reg.get(f"/v2/s3/stream/blobs/{digest}", headers={"Range": "bytes=6291450-6291459"}, allow_redirects=False)
    assert r.status_code == 206 and r.content == data[6291450:6291460]


def test_large_pulls_stream_from_the_store_whole_and_are_cut_short_when_it_dies(make_server, private_seaweedfs):
    """Bodies of 4 MiB and more are read over connections of their own (whole blobs and
    ranges, several at once); a store that dies mid-body cuts the client's response short
    of its Content-Length, never completes it with other bytes, logs why with the blob and
    the bytes sent, and Pier pulls again once the store is back."""
    sw = private_seaweedfs
    srv = make_server("pier", config=s3_storage(sw, sw.new_bucket(), redirect=False))
    reg = Registry(srv.url)
    data = images.random_bytes(48 * MiB + 5)
    digest = images.sha256(data)
    assert reg.push_blob("s3/big", data).status_code == 201
    path = f"/v2/s3/big/blobs/{digest}"

    with ThreadPoolExecutor(4) as pool:
        pulls = list(pool.map(lambda _: reg.get(path, allow_redirects=False, timeout=120), range(4)))
    assert all(r.status_code == 200 and r.content == data for r in pulls)
    r = reg.get(path, headers={"Range": f"bytes={MiB + 3}-{9 * MiB}"}, allow_redirects=False)
    assert r.status_code == 206 and r.content == data[MiB + 3:9 * MiB + 1]

    r = reg.get(path, stream=True, allow_redirects=False, timeout=60)
    assert r.status_code == 200 and int(r.headers["Content-Length"]) == len(data)
    received = bytearray(r.raw.read(MiB))
    sw.kill()
    try:
        while chunk := r.raw.read(MiB):
            received += chunk
    except Exception:  # noqa: BLE001 - a reset or an incomplete read are both a cut body
        pass
    assert len(received) < len(data) and bytes(received) == data[:len(received)]
    assert srv.alive()
    # The client sees only a cut connection and the access log a 200: the error says why.
    cut = eventually(lambda: [line for line in srv.log.splitlines() if "blob body cut short" in line])
    assert cut and digest in cut[0] and "s3/big" in cut[0] and "bytes_sent=" in cut[0], srv.log[-3000:]

    sw.start()
    assert reg.pull_stream_digest("s3/big", digest) == (digest, len(data))


@pytest.mark.parametrize("mode", ["post", "monolithic", "chunked", "stream"])
def test_every_upload_mode_commits_at_distributions_key_and_leaves_nothing_behind(make_server, seaweedfs, mode):
    bucket = seaweedfs.new_bucket()
    srv = make_server("pier", config=s3_storage(seaweedfs, bucket, rootdirectory="/registry/root"))
    reg = Registry(srv.url)
    # Smaller than a part, exactly two parts plus a tail, and chunks that straddle parts.
    for size in (1000, 2 * 5 * MiB + 123):
        data = images.random_bytes(size)
        r = reg.push_blob("s3/modes", data, mode=mode, chunk=3 * MiB if size > MiB else 300)
        assert r.status_code == 201, r.text
        assert reg.get_blob("s3/modes", images.sha256(data)).content == data
        hexdigest = images.sha256(data).split(":")[1]
        key = f"registry/root/docker/registry/v2/blobs/sha256/{hexdigest[:2]}/{hexdigest}/data"
        assert key in seaweedfs.keys(bucket, "registry/root/docker/registry/v2/blobs/")
    keys = seaweedfs.keys(bucket)
    assert all(k.startswith("registry/root/docker/registry/v2/") for k in keys), keys
    assert not [k for k in keys if "/_uploads/" in k], "finished sessions leave no state, tails or data"
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_a_failed_digest_publishes_nothing_and_aborts_its_parts(make_server, seaweedfs):
    bucket = seaweedfs.new_bucket()
    srv = make_server("pier", config=s3_storage(seaweedfs, bucket))
    reg = Registry(srv.url)
    data = images.random_bytes(12 * MiB)
    wrong = "sha256:" + "0" * 64
    r = reg.post("/v2/s3/bad/blobs/uploads/", params={"digest": wrong}, data=data,
                 headers={"Content-Type": "application/octet-stream"})
    assert_error(r, 400, "DIGEST_INVALID")
    loc = reg.upload_url("s3/bad")
    r = reg.patch_chunk(loc, data, 0)
    assert r.status_code == 202
    assert_error(reg.finish_upload(r.headers["Location"], wrong), 400, "DIGEST_INVALID")
    assert not [k for k in seaweedfs.keys(bucket) if "/blobs/" in k]
    assert reg.head_blob("s3/bad", wrong).status_code == 404
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_an_abandoned_session_is_cancelled_with_its_parts(make_server, seaweedfs):
    bucket = seaweedfs.new_bucket()
    srv = make_server("pier", config=s3_storage(seaweedfs, bucket))
    reg = Registry(srv.url)
    loc = reg.upload_url("s3/cancel")
    r = reg.patch_chunk(loc, images.random_bytes(6 * MiB), 0)
    assert r.status_code == 202
    assert r.headers["Range"] == f"0-{6 * MiB - 1}"
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) != []
    assert reg.delete(r.headers["Location"]).status_code == 204
    assert seaweedfs.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert not [k for k in seaweedfs.keys(bucket) if "/_uploads/" in k]


@pytest.fixture(scope="module")
def encrypting_seaweedfs(tmp_path_factory):
    """A SeaweedFS that encrypts objects when asked to: SSE-S3 and SSE-KMS (its local KMS)."""
    sw = started_seaweedfs(tmp_path_factory.mktemp("seaweedfs-sse"), encryption=True)
    yield sw
    sw.kill()


def written_as(sw: SeaweedFS, bucket: str) -> dict[str, tuple]:
    """Every object's encryption, KMS key and storage class, as S3 reports them."""
    client = sw.client()
    out = {}
    for key in sw.keys(bucket):
        h = client.head_object(Bucket=bucket, Key=key)
        out[key] = (h.get("ServerSideEncryption"), h.get("SSEKMSKeyId"), h.get("StorageClass"))
    return out


@pytest.mark.parametrize("encryption,expected,writers", [
    ({"encrypt": True}, ("AES256", None), ("pier", "distribution")),
    # SeaweedFS refuses the parts of distribution 2.8.2's chunked sessions under SSE-KMS
    # ("invalid KMS key ID format" on UploadPart), so there the reference only reads.
    ({"encrypt": True, "keyid": "pier-registry-key"}, ("aws:kms", "pier-registry-key"), ("pier",)),
], ids=["sse-s3", "sse-kms"])
def test_every_object_is_written_with_the_configured_encryption_and_class_as_distribution_writes_it(
        make_server, encrypting_seaweedfs, encryption, expected, writers):
    """A bucket policy may refuse any write without encryption; each object a push creates
    (one PUT, a multipart upload, a copy of a chunked session, part by part or whole) carries
    the headers, and each server reads what the other encrypted."""
    sw = encrypting_seaweedfs
    settings = {**encryption, "storageclass": "reduced_redundancy", "objectacl": "bucket-owner-full-control",
                # Chunked sessions above 6 MiB are copied part by part, smaller ones whole.
                "multipartcopythresholdsize": 6 * MiB, "multipartcopychunksize": 5 * MiB}
    content = sample()
    large = images.random_bytes(11 * MiB)
    written = {}
    for server in writers:
        bucket = sw.new_bucket()
        srv = make_server(server, config=s3_storage(sw, bucket, **settings))
        reg = Registry(srv.url)
        chunked = push_all(reg, content)
        for mode in ("monolithic", "chunked"):  # distribution 2.8 answers POST ?digest= with a session
            assert reg.push_blob("s3/sse", large, mode=mode, chunk=3 * MiB).status_code == 201
        srv.stop()
        objects = written_as(sw, bucket)
        assert objects, "the push wrote objects"
        wrong = {k: v for k, v in objects.items() if v != (*expected, "REDUCED_REDUNDANCY")}
        assert not wrong, (server, wrong)
        written[server] = (bucket, chunked)
    # Swapping the binary keeps the data: each server serves what the other encrypted.
    for writer, (bucket, chunked) in written.items():
        reader = "distribution" if writer == "pier" else "pier"
        srv = make_server(reader, config=s3_storage(sw, bucket, **settings))
        verify_all(Registry(srv.url), content, chunked)
        assert Registry(srv.url).get_blob("s3/sse", images.sha256(large)).content == large
        srv.stop()


def test_a_store_that_cannot_encrypt_fails_pushes_cleanly_and_the_log_says_why(make_server, seaweedfs):
    """A store without encryption set up (SeaweedFS without a key-encryption key) refuses
    every write that asks for it: the push fails with the spec's error body, nothing is
    published, and the log carries the store's own reason."""
    bucket = seaweedfs.new_bucket()
    srv = make_server("pier", config=s3_storage(seaweedfs, bucket, encrypt=True))
    reg = Registry(srv.url)
    data = images.random_bytes(2000)
    r = reg.push_blob("s3/refused", data, mode="post")
    assert r.status_code in (500, 503), r.text
    assert r.json()["errors"][0]["code"] in ("UNKNOWN", "UNAVAILABLE")
    assert reg.head_blob("s3/refused", images.sha256(data)).status_code == 404
    assert "InternalError" in srv.log
    assert srv.alive()


def test_a_kms_key_without_encrypt_encrypts_nothing_and_is_named(make_server, encrypting_seaweedfs):
    sw = encrypting_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket, keyid="pier-registry-key"))
    assert "storage.s3.keyid" in srv.log
    reg = Registry(srv.url)
    assert reg.push("s3/plain", "v1", images.image(1)).status_code == 201
    assert {v[:2] for v in written_as(sw, bucket).values()} == {(None, None)}


@pytest.mark.parametrize("writer,reader", [("distribution", "pier"), ("pier", "distribution")])
def test_a_bucket_written_by_one_server_is_served_identically_by_the_other(make_server, seaweedfs, writer, reader):
    bucket = seaweedfs.new_bucket()
    # distribution's 307 carries no Docker-Content-Digest; both stream here so the
    # comparison is of the servers, not of the store.
    config = s3_storage(seaweedfs, bucket, redirect=False, rootdirectory="/shared")
    content = sample()
    first = make_server(writer, config=config)
    chunked = push_all(Registry(first.url), content)
    first.stop()
    second = make_server(reader, config=config)
    verify_all(Registry(second.url), content, chunked)


def test_the_reference_follows_pier_redirects_too(make_server, seaweedfs):
    """A client pulling from distribution's redirect and from Pier's gets the same bytes."""
    bucket = seaweedfs.new_bucket()
    pier = make_server("pier", config=s3_storage(seaweedfs, bucket))
    reg = Registry(pier.url)
    img = images.image(2)
    assert reg.push("s3/pull", "v1", img).status_code == 201
    ref = make_server("distribution", config=s3_storage(seaweedfs, bucket))
    for b in img.all_blobs():
        for url in (pier.url, ref.url):
            r = requests.get(f"{url}/v2/s3/pull/blobs/{b.digest}", timeout=30)
            assert r.status_code == 200 and images.sha256(r.content) == b.digest


def test_a_store_outage_fails_pushes_cleanly_and_they_succeed_once_it_is_back(make_server, private_seaweedfs):
    sw = private_seaweedfs
    bucket = sw.new_bucket()
    srv = make_server("pier", config=s3_storage(sw, bucket))
    reg = Registry(srv.url)
    assert reg.push("s3/outage", "before", images.image(1)).status_code == 201

    # A chunked session with one acknowledged chunk, to be resumed after the outage.
    loc = reg.upload_url("s3/outage")
    first = images.random_bytes(6 * MiB)
    r = reg.patch_chunk(loc, first, 0)
    assert r.status_code == 202
    loc = r.headers["Location"]

    # A large streamed push whose store dies part-way through.
    big = images.random_bytes(40 * MiB)
    big_digest = images.sha256(big)
    sent = {"n": 0}

    def body():
        for i in range(0, len(big), MiB):
            if i == 20 * MiB:
                sw.kill()
            sent["n"] += 1
            yield big[i:i + MiB]

    outcome = {}

    def push():
        try:
            up = reg.upload_url("s3/outage")
            p = reg.patch(up, data=body(), headers={"Content-Type": "application/octet-stream"}, timeout=120)
            outcome["status"] = p.status_code
            outcome["body"] = p.text
        except requests.RequestException as e:  # a reset connection is an acceptable error too
            outcome["error"] = repr(e)

    t = threading.Thread(target=push)
    t.start()
    t.join(180)
    assert not t.is_alive(), "the push hung while the store was down"
    assert outcome.get("error") or outcome["status"] >= 500, outcome
    if "status" in outcome:
        assert outcome["status"] == 503 and "UNAVAILABLE" in outcome["body"], outcome

    # While the store is down: clean 503s with the spec's body, and Pier stays up.
    assert_error(reg.get("/v2/s3/outage/tags/list", timeout=60), 503, "UNAVAILABLE")
    assert_error(reg.patch_chunk(loc, images.random_bytes(1000), len(first)), 503, "UNAVAILABLE")
    assert srv.alive()

    sw.start()
    # Nothing of the failed push is visible, and the old content is whole.
    assert reg.head_blob("s3/outage", big_digest).status_code == 404
    assert not [k for k in sw.keys(bucket) if big_digest.split(":")[1] in k]
    assert reg.get_manifest("s3/outage", "before").status_code == 200
    # The interrupted session resumes from its acknowledged size.
    status = reg.get(loc)
    assert status.status_code == 204 and status.headers["Range"] == f"0-{len(first) - 1}"
    rest = images.random_bytes(2 * MiB)
    r = reg.patch_chunk(loc, rest, len(first))
    assert r.status_code == 202
    assert reg.finish_upload(r.headers["Location"], images.sha256(first + rest)).status_code == 201
    # And the big push goes through now.
    digest, size, final = reg.push_stream("s3/outage", (big[i:i + MiB] for i in range(0, len(big), MiB)))
    assert final.status_code == 201 and digest == big_digest
    assert reg.pull_stream_digest("s3/outage", big_digest) == (big_digest, len(big))
    assert reg.push("s3/outage", "after", images.image(1)).status_code == 201

    # The failed push's multipart upload could not be aborted while the store was down;
    # the upload purge finds and aborts such orphans.
    uploads = lambda: sw.client().list_multipart_uploads(Bucket=bucket).get("Uploads", [])  # noqa: E731
    # One orphan for certain (whether the killed store kept the push's own is its business).
    sw.client().create_multipart_upload(Bucket=bucket, Key="docker/registry/v2/repositories/s3/outage/_uploads/gone/data")
    assert uploads()
    purging = s3_storage(sw, bucket)
    purging["storage"]["maintenance"] = {"uploadpurging": {"enabled": True, "age": "1s", "interval": "1s", "dryrun": False}}
    purger = make_server("pier", config=purging)
    deadline = time.monotonic() + 30
    while uploads() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert uploads() == []
    # Logged when the whole pass returns; the orphans are aborted last in it.
    assert eventually(lambda: "orphaned_parts" in purger.log, 15), purger.log[-2000:]
    assert reg.get_manifest("s3/outage", "after").status_code == 200


def test_an_index_left_on_the_local_disk_beside_a_bucket_is_warned_about(make_server, seaweedfs, tmp_path):
    """With content in S3 the machine's disk looks disposable; what only the index holds
    (accounts, visibility, stars, tokens, webhooks) is not, so the start says where it is."""
    bucket = seaweedfs.new_bucket()
    local = make_server("pier", config=s3_storage(seaweedfs, bucket))
    assert "the index is in SQLite on this machine" in local.log
    configured = make_server("pier", config={**s3_storage(seaweedfs, bucket),
                                             "index": {"database": "sqlite://" + str(tmp_path / "index.db")}})
    assert "the index is in SQLite on this machine" not in configured.log


def test_a_bucket_that_does_not_exist_is_a_store_failure_named_at_start_and_in_the_answer(make_server, seaweedfs):
    """distribution reads only S3's NoSuchKey as a missing object: a bucket that is not
    there (misspelt, never created) answers 500 naming NoSuchBucket, not MANIFEST_UNKNOWN,
    the failure is logged, and the start says which bucket is missing. Only reads: SeaweedFS
    creates a bucket at the first write."""
    bucket = seaweedfs.new_bucket_name("missing")
    srv = make_server("pier", config=s3_storage(seaweedfs, bucket, redirect=False))
    started = eventually(lambda: [line for line in srv.log.splitlines() if "the storage bucket does not exist" in line])
    assert started and bucket in started[0], srv.log[-2000:]

    reg = Registry(srv.url)
    r = reg.get("/v2/s3/missing/manifests/latest")
    assert 500 <= r.status_code < 600, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["errors"][0]["code"] in ("UNKNOWN", "UNAVAILABLE"), r.text
    assert "NoSuchBucket" in r.text and "MANIFEST_UNKNOWN" not in r.text
    # The store's address is the operator's: the start's log names it, a client's answer not.
    endpoint = seaweedfs.s3_config(bucket)["regionendpoint"].split("://", 1)[1]
    assert endpoint not in r.text and endpoint in started[0], (r.text, started[0])
    logged = eventually(lambda: [line for line in srv.log.splitlines()
                                 if "/v2/s3/missing/manifests/latest" in line and "NoSuchBucket" in line])
    assert logged, srv.log[-2000:]

    # Nothing wrote to the store: the bucket is still missing.
    assert bucket not in [b["Name"] for b in seaweedfs.client().list_buckets().get("Buckets", [])]
