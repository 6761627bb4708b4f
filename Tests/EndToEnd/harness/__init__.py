"""Reusable end-to-end harness for Pier and the reference registry.

- server: start/stop/kill/restart a registry process with a config dict
- images: build images, indexes, artifacts and OCI layouts offline
- client: raw distribution-API client (requests, http.client, sockets)
"""

from . import images
from .client import MiB, RawConnection, Registry, SizedStream, assert_error, error_codes, next_link, raw_request
from .server import KINDS, Server, ServerStartError, missing_binary, stop_all

__all__ = [
    "images", "MiB", "RawConnection", "Registry", "SizedStream", "assert_error", "error_codes", "next_link",
    "raw_request", "KINDS", "Server", "ServerStartError", "missing_binary", "stop_all",
]
