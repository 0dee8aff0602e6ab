"""A push service on 127.0.0.1 for tests, and browsers that subscribe to it.

`PushReceiver` plays the push service (FCM, Mozilla autopush, Apple) for the sender: every POST
must carry a valid VAPID token (RFC 8292: an ES256 JWT signed by the key in `k`, which must be the
configured public key; `aud` the endpoint's origin; `exp` in the next 24 hours; a `mailto:` or
`https:` `sub`), a TTL and an aes128gcm body, which it decrypts (RFC 8291, written out here with
`cryptography` rather than with the library the sender encrypts with) using the keys of the
`Browser` it issued the endpoint to. A request that fails a check is answered 400/401 and kept in
`rejected`; a good one is kept in `received` and answered 201, or with the status the test set
for that endpoint (`answer(endpoint, 410)`).

    with PushReceiver() as service:
        browser = service.browser()
        ...subscribe with browser.endpoint, browser.p256dh, browser.auth...
        ...send...
        [push] = service.received
        assert push.payload == {...}
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from bench.push_receiver import Device, unb64url

ONE_DAY = 24 * 3600


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962,
                            serialization.PublicFormat.UncompressedPoint)


def _hmac(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


class Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Browser(Device):
    """One browser's push subscription (the benchmark's `Device`: a P-256 key pair and a
    16-byte authentication secret of its own, and an endpoint from the push service), which can
    also say what its script gives the page and decrypt what it receives."""

    def subscription_json(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives the page's script."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def decrypt(self, body: bytes) -> bytes:
        """RFC 8291 (Web Push message encryption) over RFC 8188 (aes128gcm)."""
        if len(body) < 21:
            raise Refused(400, "body shorter than the aes128gcm header")
        salt, record_size, id_length = body[:16], int.from_bytes(body[16:20], "big"), body[20]
        if id_length != 65:
            raise Refused(400, "keyid is not the sender's 65-byte public key")
        sender_point = body[21:86]
        ciphertext = body[86:]
        if record_size < 18 or len(ciphertext) > record_size:
            raise Refused(400, "a push message is one record no larger than rs")
        sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
        shared = self.private_key.exchange(ec.ECDH(), sender)
        receiver_point = _point(self.private_key.public_key())
        prk_key = _hmac(self.auth_secret, shared)
        ikm = _hmac(prk_key, b"WebPush: info\x00" + receiver_point + sender_point + b"\x01")
        prk = _hmac(salt, ikm)
        cek = _hmac(prk, b"Content-Encoding: aes128gcm\x00\x01")[:16]
        nonce = _hmac(prk, b"Content-Encoding: nonce\x00\x01")[:12]
        try:
            padded = AESGCM(cek).decrypt(nonce, ciphertext, None)  # record 0: nonce XOR 0
        except InvalidTag:
            raise Refused(400, "the body does not decrypt with this subscription's keys") from None
        stripped = padded.rstrip(b"\x00")
        if not stripped.endswith(b"\x02"):
            raise Refused(400, "the last record's padding delimiter is not 0x02")
        return stripped[:-1]


@dataclass
class ReceivedPush:
    browser: Browser
    headers: dict[str, str]
    claims: dict[str, Any]
    plaintext: bytes

    @property
    def payload(self) -> Any:
        return json.loads(self.plaintext)


class PushReceiver:
    def __init__(self, *, vapid_public_key: str | None = None) -> None:
        self.vapid_public_key = vapid_public_key or settings.WEBPUSH_VAPID_PUBLIC_KEY
        self.received: list[ReceivedPush] = []
        self.rejected: list[tuple[str, str]] = []
        self._browsers: dict[str, Browser] = {}
        self._answers: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        # A short poll: stopping the service takes that long.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> PushReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # --- what tests use ----------------------------------------------------------------------

    def browser(self) -> Browser:
        browser = Browser(endpoint=f"{self.origin}/wpush/v2/{secrets.token_urlsafe(24)}")
        with self._lock:
            self._browsers[urlsplit(browser.endpoint).path] = browser
        return browser

    def answer(self, endpoint: str, status: int) -> None:
        """Answer every later push to `endpoint` with `status` (e.g. 410 once unsubscribed)."""
        with self._lock:
            self._answers[urlsplit(endpoint).path] = status

    # --- the push service's checks -----------------------------------------------------------

    def verify_vapid(self, authorization: str) -> dict[str, Any]:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            raise Refused(401, "Authorization is not the vapid scheme")
        values = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        token, key = values.get("t", ""), values.get("k", "")
        if key != self.vapid_public_key:
            raise Refused(401, "k is not the configured VAPID public key")
        try:
            header_part, claims_part, signature_part = token.split(".")
            header = json.loads(unb64url(header_part))
            claims = json.loads(unb64url(claims_part))
            signature = unb64url(signature_part)
        except ValueError:
            raise Refused(401, "t is not a JWT") from None
        if header.get("alg") != "ES256" or len(signature) != 64:
            raise Refused(401, "the JWT is not ES256")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{header_part}.{claims_part}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Refused(401, "the JWT's signature does not verify") from None
        if claims.get("aud") != self.origin:
            raise Refused(401, "aud is not the push service's origin")
        now = time.time()
        if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + ONE_DAY:
            raise Refused(401, "exp is not within the next 24 hours")
        if not str(claims.get("sub", "")).startswith(("mailto:", "https://")):
            raise Refused(401, "sub is not a mailto: or https: URL")
        return claims

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        with self._lock:
            browser = self._browsers.get(path)
            answer = self._answers.get(path)
        if browser is None:
            raise Refused(404, "no such subscription")
        claims = self.verify_vapid(headers.get("authorization", ""))
        if not headers.get("ttl", "").isdigit():
            raise Refused(400, "TTL header missing")
        if headers.get("urgency", "normal") not in ("very-low", "low", "normal", "high"):
            raise Refused(400, "Urgency is not one of RFC 8030's")
        if headers.get("content-encoding") != "aes128gcm":
            raise Refused(415, "Content-Encoding is not aes128gcm")
        if len(body) > 4096:
            raise Refused(413, "push message over 4096 bytes")
        plaintext = browser.decrypt(body)
        if answer is not None:
            return answer, "answered as told"
        with self._lock:
            self.received.append(ReceivedPush(browser, headers, claims, plaintext))
        return 201, "created"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    status, reason = receiver._handle(self.path, headers, body)
                except Refused as refused:
                    with receiver._lock:
                        receiver.rejected.append((self.path, refused.reason))
                    status, reason = refused.status, refused.reason
                self.send_response(status, reason)
                if status == 201:
                    message = f"{receiver.origin}/message/{secrets.token_hex(8)}"
                    self.send_header("Location", message)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        return Handler
