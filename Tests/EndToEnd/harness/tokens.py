"""JSON Web Tokens by hand (no PyJWT): base64url, decoding without verification,
ES256 / RS256 signing with `cryptography`, and the libtrust key id distribution
uses as `kid`."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_part(obj: dict) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def decode(token: str) -> tuple[dict, dict]:
    """(header, payload) of a JWS compact token, without verifying anything."""
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def sign(header: dict, payload: dict, key) -> str:
    """A JWS compact token signed with an EC P-256 key (ES256) or an RSA key (RS256);
    header["alg"] is set to match the key."""
    header = dict(header)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        header["alg"] = "ES256"
    elif isinstance(key, rsa.RSAPrivateKey):
        header["alg"] = "RS256"
    else:
        raise TypeError(f"unsupported key {type(key)}")
    signing_input = f"{encode_part(header)}.{encode_part(payload)}".encode()
    if header["alg"] == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input.decode()}.{b64url(signature)}"


def unsigned(header: dict, payload: dict) -> str:
    """An `alg: none` token (empty signature)."""
    return f"{encode_part(dict(header, alg='none'))}.{encode_part(payload)}."


def replace_payload(token: str, payload: dict) -> str:
    """The same header and signature over a different payload (so a bad signature)."""
    header, _, signature = token.split(".")
    return f"{header}.{encode_part(payload)}.{signature}"


def new_es256_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def load_private_key(path: Path | str):
    return serialization.load_pem_private_key(Path(path).read_bytes(), password=None)


def libtrust_kid(public_key) -> str:
    """docker/libtrust's key id: SHA-256 of the DER SubjectPublicKeyInfo, first 240
    bits, base32 without padding, in groups of four joined by ':'."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    text = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(text[i : i + 4] for i in range(0, len(text), 4))
