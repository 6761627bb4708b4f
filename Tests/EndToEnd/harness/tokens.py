"""JSON Web Tokens by hand (no PyJWT): base64url, decoding without verification,
ES256 / RS256 signing with `cryptography`, and the libtrust key id distribution
uses as `kid`."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
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
    """A JWS compact token signed with an EC P-256 key (ES256), an RSA key (RS256) or an
    Ed25519 key (EdDSA); header["alg"] is set to match the key."""
    header = dict(header)
    header["alg"] = alg_for(key)
    signing_input = f"{encode_part(header)}.{encode_part(payload)}".encode()
    if header["alg"] == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif header["alg"] == "RS256":
        signature = key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = key.sign(signing_input)
    return f"{signing_input.decode()}.{b64url(signature)}"


def alg_for(key) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS256"
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    raise TypeError(f"unsupported key {type(key)}")


def jwk(public_key, kid: str) -> dict:
    """The public JSON Web Key of an EC P-256, RSA or Ed25519 key."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        n = public_key.public_numbers()
        return {"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
                "x": b64url(n.x.to_bytes(32, "big")), "y": b64url(n.y.to_bytes(32, "big"))}
    if isinstance(public_key, rsa.RSAPublicKey):
        n = public_key.public_numbers()
        return {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64url(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                "e": b64url(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big"))}
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "kid": kid, "use": "sig", "alg": "EdDSA", "x": b64url(raw)}
    raise TypeError(f"unsupported key {type(public_key)}")


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
