"""infra/: the image, the compose stack, the proxy, gunicorn and the deployment scripts.

No Docker engine here: the Dockerfile and compose file are checked by parsing them; the smoke
check runs for real against a local server and against gunicorn serving the app."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import runpy
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import redis
import yaml
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker
from dramatiq.message import Message

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
SMOKE = INFRA / "scripts" / "smoke_check.sh"
APP_SERVICES = {"migrate", "web", "worker", "scheduler"}


# --- Dockerfile ------------------------------------------------------------------------------

def _stages() -> list[tuple[str, list[str]]]:
    """(FROM line, instructions) per stage, continuation lines joined."""
    text = (INFRA / "Dockerfile").read_text()
    instructions = [
        line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    stages: list[tuple[str, list[str]]] = []
    for instruction in instructions:
        if instruction.upper().startswith("FROM "):
            stages.append((instruction, []))
        elif stages:
            stages[-1][1].append(instruction)
    return stages


def test_dockerfile_is_multi_stage_with_a_slim_final_stage() -> None:
    stages = _stages()
    assert [from_line for from_line, _ in stages] == [
        "FROM ${PYTHON_IMAGE} AS builder",
        "FROM ${PYTHON_IMAGE} AS runtime",
    ]
    text = (INFRA / "Dockerfile").read_text()
    assert "ARG PYTHON_IMAGE=python:3.11-slim\n" in text
    builder, runtime = stages[0][1], stages[1][1]
    assert any("build-essential" in line for line in builder)
    assert any(line.startswith("RUN") and "pip wheel" in line for line in builder)
    assert "COPY --from=builder /opt/venv /opt/venv" in runtime


def test_final_stage_has_no_build_tools_and_runs_as_a_non_root_user() -> None:
    runtime = _stages()[-1][1]
    installs = " ".join(line for line in runtime if "apt-get install" in line)
    for tool in ("build-essential", "gcc", "g++", "make ", "-dev", "pkg-config", "git"):
        assert tool not in installs
    users = [line for line in runtime if line.upper().startswith("USER ")]
    assert users == ["USER 10001:10001"]
    assert runtime.index(users[0]) > max(
        index for index, line in enumerate(runtime) if line.startswith(("RUN", "COPY"))
    )


def test_no_secret_is_baked_into_the_image() -> None:
    for _, instructions in _stages():
        for line in instructions:
            if line.upper().startswith(("ENV ", "ARG ", "LABEL ")):
                assert not re.search(r"(SECRET|PASSWORD|TOKEN|_KEY|DSN|DATABASE_URL|REDIS_URL)",
                                     line, re.IGNORECASE), line
    runtime = _stages()[-1][1]
    mentions = [line for line in runtime if "SECRET_KEY" in line]
    # The dummy key exists only as a prefix of the collectstatic RUN step.
    assert len(mentions) == 1
    assert mentions[0].startswith("RUN SECRET_KEY=collectstatic-build-only-not-a-secret ")
    assert "python manage.py collectstatic --noinput" in mentions[0]
    ignore = (INFRA / "Dockerfile.dockerignore").read_text().splitlines()
    assert ignore[1] == "**" and ".env" in ignore and "**/.env" in ignore


def test_image_checks_healthz_and_starts_gunicorn() -> None:
    runtime = _stages()[-1][1]
    health = [line for line in runtime if line.startswith("HEALTHCHECK")]
    assert len(health) == 1
    assert "http://127.0.0.1:8000/healthz" in health[0]
    assert runtime[-1] == (
        'CMD ["gunicorn", "config.wsgi:application", "--config", "infra/gunicorn.conf.py"]'
    )
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in " ".join(runtime)


# --- compose ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((INFRA / "compose.yaml").read_text())


def _command(service: dict[str, Any]) -> str:
    command = service["command"]
    return " ".join(command) if isinstance(command, list) else command


def test_compose_runs_the_whole_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"migrate", "web", "worker", "scheduler", "postgres", "redis",
                             "minio", "minio-init", "proxy"}
    assert _command(services["web"]) == (
        "gunicorn config.wsgi:application --config infra/gunicorn.conf.py"
    )
    assert _command(services["worker"]).startswith("dramatiq config.worker ")
    assert _command(services["scheduler"]) == "python manage.py run_scheduler"
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert services["web"]["deploy"]["replicas"] == 2
    assert _command(services["migrate"]) == "sh infra/scripts/migrate.sh"
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    assert services["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_redis_never_evicts_and_persists(compose: dict[str, Any]) -> None:
    command = _command(compose["services"]["redis"])
    assert "--maxmemory-policy noeviction" in command
    assert "--appendonly yes" in command
    assert compose["services"]["redis"]["volumes"] == ["redis:/data"]


def test_health_checks_are_wired_to_healthz_and_readyz(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in " ".join(services["proxy"]["healthcheck"]["test"])
    for name, service in services.items():
        if name in ("migrate", "minio-init"):
            continue  # one-off jobs
        assert service["healthcheck"]["test"][0] == "CMD", name
    assert services["migrate"]["healthcheck"] == {"disable": True}


def test_app_services_are_locked_down_and_take_secrets_from_the_environment(
    compose: dict[str, Any],
) -> None:
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["read_only"] is True
        assert service["cap_drop"] == ["ALL"]
        assert service["security_opt"] == ["no-new-privileges:true"]
        environment = service["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert environment["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
        assert environment["REDIS_URL"] == "redis://redis:6379/0"
    text = (INFRA / "compose.yaml").read_text()
    for match in re.finditer(r"(?im)^\s*[\w-]*(PASSWORD|SECRET)[\w-]*:\s*(.+)$", text):
        assert match.group(2).strip().startswith("${"), match.group(0)
    assert re.search(r"postgres://tandem:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres", text)


def test_proxy_routes_the_platform_host_and_every_practice_subdomain_to_web() -> None:
    caddyfile = (INFRA / "Caddyfile").read_text()
    assert "{$PLATFORM_DOMAIN:localhost}, *.{$PLATFORM_DOMAIN:localhost} {" in caddyfile
    assert "reverse_proxy web:8000 {" in caddyfile
    assert "health_uri /healthz" in caddyfile
    assert "@health path /healthz /readyz" in caddyfile


def test_gunicorn_uses_threaded_sync_workers_and_an_in_memory_heartbeat() -> None:
    config = runpy.run_path(str(INFRA / "gunicorn.conf.py"))
    assert config["worker_class"] == "gthread"
    assert config["worker_tmp_dir"] == "/dev/shm"
    assert config["bind"] == "0.0.0.0:8000"
    assert config["threads"] == 4
    assert "%(q)s" not in config["access_log_format"]  # no query strings in access logs


# --- scripts ---------------------------------------------------------------------------------

def test_migrate_script_runs_migrate_platform_in_parallel() -> None:
    script = (INFRA / "scripts" / "migrate.sh").read_text()
    assert 'exec python manage.py migrate_platform --parallel "${MIGRATE_PARALLEL:-4}" "$@"' in (
        script
    )
    for name in ("migrate.sh", "collectstatic.sh", "smoke_check.sh"):
        assert os.access(INFRA / "scripts" / name, os.X_OK), name


class _Health(BaseHTTPRequestHandler):
    ready = True

    def do_GET(self) -> None:  # noqa: N802
        if self.path == "/healthz":
            status, body = 200, {"status": "ok"}
        elif self.path == "/readyz" and type(self).ready:
            status, body = 200, {"status": "ok", "database": "ok", "redis": "ok"}
        elif self.path == "/readyz":
            status, body = 503, {"status": "unavailable", "database": "unreachable"}
        else:
            status, body = 404, {}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[tuple[str, type[_Health]]]:
    handler = type("Handler", (_Health,), {"ready": True})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _smoke(*urls: str, retries: int = 1) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SMOKE_RETRIES=str(retries), SMOKE_DELAY="1", SMOKE_TIMEOUT="3")
    return subprocess.run([str(SMOKE), *urls], capture_output=True, text=True, env=env,
                          timeout=30)


def test_smoke_check_passes_when_both_checks_answer_ok(
    health_server: tuple[str, type[_Health]],
) -> None:
    base, _ = health_server
    result = _smoke(base + "/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"ok    {base}/healthz", f"ok    {base}/readyz"]
    assert result.stderr == ""


def test_smoke_check_fails_when_not_ready(health_server: tuple[str, type[_Health]]) -> None:
    base, handler = health_server
    handler.ready = False
    result = _smoke(base)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"ok    {base}/healthz"]
    assert result.stderr.startswith(f"FAIL  {base}/readyz (HTTP 503): ")
    assert '"database": "unreachable"' in result.stderr


def test_smoke_check_fails_when_unreachable_or_misused() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = _smoke(f"http://127.0.0.1:{port}")
    assert result.returncode == 1
    assert [line.split(" (")[0] for line in result.stderr.splitlines()] == [
        f"FAIL  http://127.0.0.1:{port}/healthz",
        f"FAIL  http://127.0.0.1:{port}/readyz",
    ]
    assert _smoke().returncode == 2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_smoke_check_against_gunicorn_serving_the_app_with_production_settings(
    tmp_path: Path,
) -> None:
    """The web command of the image (gunicorn, infra/gunicorn.conf.py, production settings)
    serves /healthz and /readyz, and the smoke check accepts it."""
    port = _free_port()
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="test-only-" + "k" * 50,
        STRIPE_SECRET_KEY="sk_test_smoke", STRIPE_WEBHOOK_SECRET="whsec_smoke",
        WEBPUSH_VAPID_PRIVATE_KEY=settings.WEBPUSH_VAPID_PRIVATE_KEY,
        WEBPUSH_VAPID_PUBLIC_KEY=settings.WEBPUSH_VAPID_PUBLIC_KEY,
        WEBPUSH_VAPID_SUBJECT="mailto:smoke@tandem.test",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        DATABASE_URL=os.environ["DATABASE_URL"],
        REDIS_URL=settings.REDIS_URL,
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi:application",
         "--config", str(INFRA / "gunicorn.conf.py")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(tmp_path / "log").open("w"),
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        # The port opens before the worker has imported the app: on a busy machine the first
        # answer can take seconds, which the script's retries (as in a deployment) absorb.
        result = _smoke(f"http://127.0.0.1:{port}", retries=10)
        assert result.returncode == 0, (result.stderr, (tmp_path / "log").read_text())
        assert result.stdout.splitlines() == [f"ok    http://127.0.0.1:{port}/healthz",
                                              f"ok    http://127.0.0.1:{port}/readyz"]
    finally:
        server.terminate()
        server.wait(timeout=15)


# --- queue-depth metric ----------------------------------------------------------------------

def _queue_metrics() -> ModuleType:
    path = INFRA / "scripts" / "publish_queue_depth.py"
    spec = importlib.util.spec_from_file_location("publish_queue_depth", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_queue_depth_counts_waiting_messages_per_queue_from_dramatiq_redis() -> None:
    queue_metrics = _queue_metrics()
    broker = RedisBroker(url=settings.REDIS_URL)
    try:
        for queue in ("default", "reports"):
            broker.declare_queue(queue)
        for _ in range(3):
            broker.enqueue(Message(queue_name="default", actor_name="a", args=(), kwargs={},
                                   options={}))
        broker.enqueue(Message(queue_name="reports", actor_name="b", args=(), kwargs={},
                               options={}))
        # Delayed: not work yet, kept in default.DQ.
        broker.enqueue(Message(queue_name="default", actor_name="a", args=(), kwargs={},
                               options={}), delay=60_000)
        client = redis.Redis.from_url(settings.REDIS_URL)
        depths = queue_metrics.queue_depths(client)
    finally:
        broker.close()
    assert depths == {"default": 3, "reports": 1}
    data = queue_metrics.metric_data(depths, "production")
    assert [(item["MetricName"], item["Value"], item["Dimensions"]) for item in data] == [
        ("QueueDepth", 3.0, [{"Name": "Environment", "Value": "production"},
                             {"Name": "Queue", "Value": "default"}]),
        ("QueueDepth", 1.0, [{"Name": "Environment", "Value": "production"},
                             {"Name": "Queue", "Value": "reports"}]),
        ("QueueDepth", 4.0, [{"Name": "Environment", "Value": "production"},
                             {"Name": "Queue", "Value": "all"}]),
    ]
    assert queue_metrics.NAMESPACE == "Tandem/Queues"


# --- docs ------------------------------------------------------------------------------------

def test_every_environment_variable_the_settings_read_is_documented() -> None:
    read = set()
    for path in (ROOT / "config" / "settings").glob("*.py"):
        if path.name == "test.py":
            continue  # the suite's own knobs
        read |= set(re.findall(r"env\.\w+\(\s*\"([A-Z0-9_]+)\"", path.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CONN_MAX_AGE"} <= read
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", (ROOT / "docs" / "deployment.md")
                                .read_text(), re.MULTILINE))
    assert sorted(read - documented) == []
