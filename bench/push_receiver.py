"""A push service on loopback for the notifications benchmark: it answers Web Push POSTs with 201,
as FCM or Mozilla's autopush do, and counts them, as the benchmark's SMTP sink counts emails.

So that the benchmark cannot count garbage, every POST must look like Web Push (a device it
issued, `Authorization: vapid t=<JWT>, k=<the configured public key>`, `Content-Encoding:
aes128gcm`, a TTL, a Topic, an aes128gcm header naming a 65-byte sender key, at most 4,096
bytes), and one in `sample_every` is checked in full: the JWT's ES256 signature with `k`, its
`aud` (this receiver's origin), `exp` (within 24 hours) and `sub`; the body decrypted with the
device's private key and authentication secret (RFC 8291, with `http_ece`); the plaintext the
pipeline's four-field JSON payload, its tag derived from the same digest as the Topic. Anything
that fails is answered 400 and kept in `rejected`, and not counted.

A push is a notification once: every Topic seen is kept, and one seen again is counted in
`duplicates` (the pipeline derives a notification's topic from its idempotency key, so only a
second copy of one notification repeats it).

aiohttp (a dependency of pywebpush) serves it from an event loop in a thread of its own.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import http_ece
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from bench.common import Arrivals

ONE_DAY = 24 * 3600
PAYLOAD_KEYS = {"title", "body", "url", "tag"}


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Refused(Exception):
    """Not a Web Push message this receiver accepts (the reason is kept in `rejected`)."""


@dataclass
class Device:
    """One browser's subscription, made as a browser makes it: a P-256 key pair and a 16-byte
    authentication secret of its own, and an endpoint on this push service."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth_secret: bytes = field(default_factory=lambda: secrets.token_bytes(16))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    @property
    def auth(self) -> str:
        return b64url(self.auth_secret)


class PushReceiver(Arrivals):
    """`with PushReceiver(vapid_public_key) as receiver:` serves on 127.0.0.1; `device()`
    issues an endpoint; `wait_for(n)` returns once n pushes were accepted since `reset()`."""

    def __init__(self, vapid_public_key: str, *, sample_every: int = 10) -> None:
        super().__init__()
        self.vapid_public_key = vapid_public_key
        self.sample_every = sample_every
        self.checked = 0  # of which checked in full
        self.duplicates = 0
        self.rejected: list[str] = []
        self._topics: set[str] = set()
        self._devices: dict[str, Device] = {}
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PushReceiver:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> None:
        application = web.Application()
        application.router.add_post("/push/{device}", self._post)
        self._runner = web.AppRunner(application, access_log=None)
        await self._runner.setup()
        await web.SockSite(self._runner, self._socket).start()

    # --- what the benchmark uses -------------------------------------------------------------

    def device(self) -> Device:
        device = Device(endpoint=f"{self.origin}/push/{secrets.token_urlsafe(16)}")
        with self.condition:
            self._devices[device.endpoint.rsplit("/", 1)[1]] = device
        return device

    noun = "pushes"

    def shortfall(self) -> str:
        return f" ({len(self.rejected)} refused)"

    # --- the push service ----------------------------------------------------------------------

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        try:
            self.accept(request.match_info["device"], headers, body)
        except Refused as refused:
            with self.condition:
                self.rejected.append(str(refused))
            return web.Response(status=400, text=str(refused))
        return web.Response(status=201, headers={
            "Location": f"{self.origin}/message/{secrets.token_hex(8)}"})

    def accept(self, device_id: str, headers: dict[str, str], body: bytes) -> None:
        """Check one POST and count it; raises Refused for anything that is not a Web Push
        message for a device of this receiver."""
        with self.condition:
            device = self._devices.get(device_id)
            is_sampled = (self.total + len(self.rejected)) % self.sample_every == 0
        if device is None:
            raise Refused("no such subscription")
        token = self._token(headers.get("authorization", ""))
        topic = headers.get("topic", "")
        if not headers.get("ttl", "").isdigit() or not topic:
            raise Refused("TTL or Topic missing")
        if headers.get("content-encoding") != "aes128gcm":
            raise Refused("Content-Encoding is not aes128gcm")
        if not 86 + 17 <= len(body) <= 4096 or body[20] != 65:
            raise Refused("not an aes128gcm body with the sender's 65-byte key")
        if is_sampled:
            self._check_token(headers["authorization"], token)
            self._check_payload(device, body, topic)
        with self.condition:
            if topic in self._topics:
                self.duplicates += 1
            self._topics.add(topic)
            self.checked += is_sampled
            self.arrived()

    def _token(self, authorization: str) -> str:
        scheme, _, params = authorization.partition(" ")
        values = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        if scheme.lower() != "vapid" or values.get("k") != self.vapid_public_key:
            raise Refused("Authorization is not vapid with the configured public key")
        return values.get("t", "")

    def _check_token(self, authorization: str, token: str) -> None:
        try:
            is_signed = Vapid02.verify(authorization)
            claims = json.loads(unb64url(token.split(".")[1]))
        except (AssertionError, ValueError, IndexError):
            raise Refused("the VAPID token is not a JWT") from None
        if not is_signed:
            raise Refused("the VAPID token's signature does not verify")
        now = time.time()
        if (claims.get("aud") != self.origin or not isinstance(claims.get("exp"), int)
                or not now < claims["exp"] <= now + ONE_DAY
                or not str(claims.get("sub", "")).startswith(("mailto:", "https://"))):
            raise Refused("the VAPID claims are wrong (aud, exp or sub)")

    def _check_payload(self, device: Device, body: bytes, topic: str) -> None:
        try:
            plaintext = http_ece.decrypt(body, private_key=device.private_key,
                                         auth_secret=device.auth_secret, version="aes128gcm")
            payload: Any = json.loads(plaintext)
        except Exception:  # noqa: BLE001 - whatever fails to decrypt or parse is refused
            raise Refused("the body does not decrypt to JSON with the device's keys") from None
        if not isinstance(payload, dict) or set(payload) != PAYLOAD_KEYS:
            raise Refused("the payload is not {title, body, url, tag}")
        if payload["tag"] != f"n{topic[:24]}":
            raise Refused("the payload's tag and the Topic are not the same notification's")
