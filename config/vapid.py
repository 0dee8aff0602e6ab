"""VAPID key pairs for Web Push (RFC 8292), in the form browsers and push services use: the
private key as the base64url of its 32-byte scalar, the public key as the base64url of its
65-byte uncompressed P-256 point (the browser's `applicationServerKey`).

Imported by settings, so it needs nothing from Django. Generate a pair for production with
    python -c "from config.vapid import generate; print(*generate(), sep='\\n')"
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def b64url_encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip()
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_text(key: ec.EllipticCurvePrivateKey) -> str:
    return b64url_encode(key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))


def generate() -> tuple[str, str]:
    """A fresh (private, public) pair."""
    key = ec.generate_private_key(ec.SECP256R1())
    scalar = key.private_numbers().private_value.to_bytes(32, "big")
    return b64url_encode(scalar), _public_text(key)


def public_key_for(private_key: str) -> str:
    """The public key belonging to `private_key`; ValueError if it is not a P-256 scalar."""
    raw = b64url_decode(private_key)
    if len(raw) != 32:
        raise ValueError("a VAPID private key is 32 bytes, base64url-encoded")
    key = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    return _public_text(key)


def load_or_create(path: Path) -> tuple[str, str]:
    """The development pair kept in `path` (made on first use), so browsers that subscribed
    on this machine keep receiving after a restart."""
    if not path.is_file():
        private_key, public_key = generate()
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump({"private_key": private_key, "public_key": public_key}, handle)
        try:
            # A link never replaces: if another process (the worker) was first, its pair wins.
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    stored = json.loads(path.read_text())
    return stored["private_key"], stored["public_key"]
