"""A practice's own domain over HTTPS, end to end: Caddy (Debian's) in front with on-demand TLS
from its internal CA, asking the app's `/_tls/ask` before each certificate; the app behind it;
verification against a DNS server on loopback. Names are "resolved" to 127.0.0.1 by connecting
there and sending the name as SNI and Host (what curl --resolve does).

A verified name gets its practice's page over a certificate Caddy issued for that name; an
unverified or unknown name gets no certificate at all; the other practice's name routes only to
the other practice."""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test.testcases import LiveServerThread

from tenants import custom_domains
from tenants.actor import Actor
from tests.conftest import PracticeWorld
from tests.dns_server import LocalDns

# Caddy dates its certificates on the real clock.
pytestmark = pytest.mark.wall_clock
# OpenSSL's X509_V_FLAG_NO_CHECK_TIME (Python's ssl has no name for it).
NO_CHECK_TIME = 0x200000

CADDY = "/usr/bin/caddy"
ALPHA_NAME = "portal.alpha-therapy.test"
BETA_NAME = "portal.beta-counselling.test"
UNKNOWN_NAME = "portal.nobody.test"

CADDYFILE = """{{
	admin off
	local_certs
	skip_install_trust
	auto_https disable_redirects
	http_port {http_port}
	https_port {https_port}
	storage file_system {storage}
	on_demand_tls {{
		ask http://127.0.0.1:{app_port}/_tls/ask
	}}
}}

https:// {{
	tls internal {{
		on_demand
	}}
	reverse_proxy 127.0.0.1:{app_port}
}}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Fetched:
    status: int
    body: str
    subject_names: list[str]
    issuer: str


@dataclass
class Caddy:
    https_port: int
    root_ca: Path
    log: Path

    def fetch(self, name: str, path: str = "/accounts/sign-in/") -> Fetched:
        """GET https://name:port/path with name resolved to 127.0.0.1, verified against
        Caddy's own root certificate (and nothing else)."""
        context = ssl.create_default_context(cafile=str(self.root_ca))
        if os.environ.get("FAKETIME"):
            # Under `make test-clock` this process reads a shifted clock, but Caddy (a Go
            # binary: it asks the kernel, not libc) issues its 12-hour certificates on the wall
            # clock, so a shift of more than a few hours would call them expired or not yet
            # valid. Only then is the validity period not checked; name and chain still are.
            context.verify_flags |= ssl.VerifyFlags(NO_CHECK_TIME)
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=30) as raw, \
                context.wrap_socket(raw, server_hostname=name) as tls:
            certificate = tls.getpeercert()
            tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}:{self.https_port}\r\n"
                        "Connection: close\r\n\r\n".encode())
            chunks = []
            while chunk := tls.recv(65536):
                chunks.append(chunk)
        head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        issuer = dict(item[0] for item in certificate["issuer"]).get("commonName", "")
        names = [value for kind, value in certificate.get("subjectAltName", ()) if kind == "DNS"]
        return Fetched(status, body.decode(errors="replace"), names, issuer)


@pytest.fixture
def app_server(committed_db: None, settings: Any) -> Iterator[int]:
    thread = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield thread.port
    thread.terminate()


@pytest.fixture
def caddy(app_server: int, tmp_path: Path) -> Iterator[Caddy]:
    if not os.path.exists(CADDY) and not shutil.which("caddy"):
        pytest.fail("Caddy is missing: apt-get install -y caddy (.ci/run does)")
    https_port, http_port = _free_port(), _free_port()
    storage = tmp_path / "caddy"
    config = tmp_path / "Caddyfile"
    config.write_text(CADDYFILE.format(http_port=http_port, https_port=https_port,
                                       app_port=app_server, storage=storage))
    log = tmp_path / "caddy.log"
    env = dict(os.environ, HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"),
               XDG_CONFIG_HOME=str(tmp_path / "config"))
    env.pop("LD_PRELOAD", None)  # Caddy runs on the real clock (certificates are dated)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [CADDY if os.path.exists(CADDY) else str(shutil.which("caddy")), "run",
             "--config", str(config), "--adapter", "caddyfile"],
            cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            root = storage / "pki" / "authorities" / "local" / "root.crt"
            deadline = time.monotonic() + 30
            while not _listening(https_port) or not root.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"Caddy did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            yield Caddy(https_port, root, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _verify(world: PracticeWorld, dns: LocalDns, name: str) -> None:
    from django.conf import settings

    domain = custom_domains.custom_domain_for(world.practice) or \
        custom_domains.custom_domain_add(practice_id=world.practice.pk, name=name,
                                         actor=Actor.of(world.owner))
    dns.set(name, "CNAME", settings.CUSTOM_DOMAIN_TARGET)
    dns.set(f"{custom_domains.TXT_PREFIX}.{name}", "TXT",
            f"{custom_domains.TXT_VALUE_PREFIX}{domain.verification_token}")
    check = custom_domains.custom_domain_verify(practice_id=world.practice.pk,
                                                actor=Actor.of(world.owner))
    assert check.ok, check.problems


def _no_certificate(caddy: Caddy, name: str) -> str:
    with pytest.raises(ssl.SSLError) as refused:
        caddy.fetch(name)
    return str(refused.value)


def test_a_verified_custom_domain_gets_its_practice_over_a_certificate_caddy_issued(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns, caddy: Caddy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _verify(alpha, local_dns, ALPHA_NAME)
    custom_domains.custom_domain_add(practice_id=beta.practice.pk, name=BETA_NAME,
                                     actor=Actor.of(beta.owner))  # added, not verified yet

    page = caddy.fetch(ALPHA_NAME)
    print(f"\n{ALPHA_NAME}: HTTP {page.status}, certificate for {page.subject_names} "
          f"issued by {page.issuer!r}")
    assert page.status == 200
    assert page.subject_names == [ALPHA_NAME]
    assert page.issuer.startswith("Caddy Local Authority")
    assert "Alpha Therapy" in page.body
    assert "Beta Counselling" not in page.body

    for name in [BETA_NAME, UNKNOWN_NAME]:
        refusal = _no_certificate(caddy, name)
        print(f"{name}: no certificate ({refusal})")
    # Caddy asked the app for each name, and the app said no (the "yes" for alpha is a 200).
    refused_asks = [record for record in caplog.records
                    if record.getMessage() == "Not Found: /_tls/ask"]
    assert len(refused_asks) == 2

    # Once beta's name verifies, it serves beta, and only beta.
    _verify(beta, local_dns, BETA_NAME)
    other = caddy.fetch(BETA_NAME)
    print(f"{BETA_NAME}: HTTP {other.status}, certificate for {other.subject_names} "
          f"issued by {other.issuer!r}")
    assert other.status == 200
    assert other.subject_names == [BETA_NAME]
    assert "Beta Counselling" in other.body
    assert "Alpha Therapy" not in other.body
    assert "Alpha Therapy" in caddy.fetch(ALPHA_NAME).body
    # The practice's own host name is no way into the other practice: beta's name with
    # alpha's path still answers as beta.
    assert "Alpha Therapy" not in caddy.fetch(BETA_NAME, "/").body
