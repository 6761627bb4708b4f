"""Authentication helpers: htpasswd files (python bcrypt and `pier user`), Basic
headers, parsing `WWW-Authenticate` challenges, and Pier's token endpoint."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path

import requests

from .server import pier_bin


def basic(user: str, password: str) -> str:
    """The value of an `Authorization: Basic …` header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def bcrypt_hash(password: str, prefix: str = "2y", cost: int = 4) -> str:
    """A bcrypt hash with the given prefix. python's bcrypt writes `$2b$`/`$2a$`;
    `$2y$` (what `htpasswd -B` writes) is the same algorithm with another name."""
    import bcrypt

    salt_prefix = b"2a" if prefix == "2a" else b"2b"
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=cost, prefix=salt_prefix)).decode()
    return f"${prefix}$" + hashed.split("$", 2)[2]


def bcrypt_check(password: str, hashed: str) -> bool:
    """Verify a `$2y$/$2a$/$2b$` hash with python's bcrypt."""
    import bcrypt

    normalised = "$2b$" + hashed.split("$", 2)[2]
    return bcrypt.checkpw(password.encode(), normalised.encode())


def htpasswd_line(user: str, password: str, prefix: str = "2y", cost: int = 4) -> str:
    return f"{user}:{bcrypt_hash(password, prefix, cost)}"


def write_htpasswd(path: Path | str, users: dict[str, str], prefix: str = "2y", cost: int = 4) -> Path:
    """Write an htpasswd file of bcrypt hashes (cost 4 keeps the tests quick)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(htpasswd_line(u, p, prefix, cost) + "\n" for u, p in users.items()))
    return path


def read_htpasswd(path: Path | str) -> dict[str, str]:
    """user -> hash of an htpasswd file (comments and blank lines skipped)."""
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            user, _, hashed = line.partition(":")
            out[user] = hashed
    return out


def pier_user(*args: str, password: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `pier user ARGS…`; with `password`, it is fed on standard input after
    `--password-stdin`. Returns the completed process (not checked)."""
    cmd = [pier_bin(), "user", *args]
    if password is not None:
        cmd.append("--password-stdin")
    return subprocess.run(cmd, input=(password + "\n") if password is not None else None,
                          capture_output=True, text=True, timeout=timeout)


def pier_user_ok(*args: str, password: str | None = None) -> str:
    p = pier_user(*args, password=password)
    assert p.returncode == 0, f"pier user {' '.join(args)} exited {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout


def parse_challenge(value: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="r",service="s",scope="a,b"` -> ("Bearer", {realm, service, scope})."""
    scheme, _, rest = value.strip().partition(" ")
    params = {}
    for m in re.finditer(r'\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?', rest):
        params[m.group(1).lower()] = m.group(2) if m.group(2) is not None else m.group(3)
    return scheme, params


def fetch_token(realm: str, service: str | None, scopes: list[str] | tuple[str, ...] = (),
                auth: tuple[str, str] | None = None, verify=None, **kw) -> requests.Response:
    """GET the token endpoint with `service` and one `scope` parameter per scope."""
    params = []
    if service is not None:
        params.append(("service", service))
    params += [("scope", s) for s in scopes]
    kw.setdefault("timeout", 30)
    if verify is not None:
        kw["verify"] = verify
    return requests.get(realm, params=params, auth=auth, **kw)


def token_for(realm: str, service: str, scopes, auth=None, verify=None) -> str:
    r = fetch_token(realm, service, scopes, auth=auth, verify=verify)
    assert r.status_code == 200, f"token endpoint: {r.status_code} {r.text[:500]}"
    body = r.json()
    return body.get("token") or body["access_token"]
