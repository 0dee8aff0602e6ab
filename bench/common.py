"""What every benchmark shares: the machine's load, comparisons that say when they mean nothing,
the throwaway database, and gunicorn on a loopback port.

A ratio is only reported when the baseline's spread is narrower than the difference it measures:
on a shared machine a baseline that wobbles by more than the gap between the two sides cannot tell
them apart, and the RESULT line then says `ratio=unreliable` (and a line before it says why).
The spread is the interquartile range with four samples or more, else the full range.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = PROJECT_ROOT / "infra" / "gunicorn.conf.py"
# DEBUG off as in production, the practice's URLs plus the benches' minimal page.
BENCH_SETTINGS = "bench.settings"


# --- the machine's load -------------------------------------------------------------------------

def load_line(when: str) -> str:
    one, five, fifteen = os.getloadavg()
    return (f"load {when}: {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min) "
            f"on {os.cpu_count()} cores")


def print_load(when: str) -> None:
    print(load_line(when), flush=True)


# --- medians, spreads and ratios ----------------------------------------------------------------

@dataclass(frozen=True)
class Summary:
    """Median and spread of samples (interquartile range from 4 samples, else min to max)."""

    median: float
    low: float
    high: float
    p95: float
    count: int

    @classmethod
    def of(cls, samples: list[float]) -> Summary:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        if len(ordered) >= 4:
            quartiles = statistics.quantiles(ordered, n=4, method="inclusive")
            low, high = quartiles[0], quartiles[2]
        else:
            low, high = ordered[0], ordered[-1]
        p95 = (ordered[0] if len(ordered) == 1
               else statistics.quantiles(ordered, n=20, method="inclusive")[18])
        return cls(statistics.median(ordered), low, high, p95, len(ordered))

    @property
    def spread(self) -> float:
        return self.high - self.low

    @property
    def spread_name(self) -> str:
        return "IQR" if self.count >= 4 else "range"

    def line(self, unit: str = "ms", scale: float = 1000.0, digits: int = 1) -> str:
        return (f"median={self.median * scale:.{digits}f} {unit} "
                f"{self.spread_name}={self.low * scale:.{digits}f}-{self.high * scale:.{digits}f} "
                f"{unit} n={self.count}")


@dataclass(frozen=True)
class Comparison:
    """The measured side against its baseline. `ratio` is None when the baseline's spread is
    wider than the difference between the medians (the two are then not told apart)."""

    measured: Summary
    baseline: Summary

    @property
    def difference(self) -> float:
        return abs(self.measured.median - self.baseline.median)

    @property
    def is_reliable(self) -> bool:
        return self.baseline.spread < self.difference

    @property
    def ratio(self) -> float | None:
        if not self.is_reliable or self.baseline.median == 0:
            return None
        return self.measured.median / self.baseline.median

    def ratio_text(self, digits: int = 2) -> str:
        ratio = self.ratio
        return "unreliable" if ratio is None else f"{ratio:.{digits}f}"

    @property
    def bound(self) -> float | None:
        """When the ratio is not reported, what can still be said: the two medians are less than
        the baseline's spread apart, so the ratio lies within 1 ± spread / baseline median
        (this is the upper end)."""
        if self.is_reliable or self.baseline.median == 0:
            return None
        return 1 + self.baseline.spread / self.baseline.median

    def explain(self, unit: str = "ms", scale: float = 1000.0, digits: int = 1) -> str:
        """Why the ratio is not reported (empty when it is), and the bound that holds."""
        if self.is_reliable:
            return ""
        bound = self.bound
        return (f"ratio not reported: the baseline's spread ({self.baseline.spread_name} "
                f"{self.baseline.spread * scale:.{digits}f} {unit}) is wider than the difference "
                f"measured ({self.difference * scale:.{digits}f} {unit})"
                + (f"; it lies between {2 - bound:.2f} and {bound:.2f}" if bound is not None
                   else ""))

    def note(self, unit: str = "ms", scale: float = 1000.0, digits: int = 1) -> str:
        """`explain()` in brackets after a figure, or nothing."""
        reason = self.explain(unit, scale, digits)
        return f"  ({reason})" if reason else ""


def compare(measured: list[float], baseline: list[float]) -> Comparison:
    return Comparison(Summary.of(measured), Summary.of(baseline))


def result_line(name: str, metric: str, value: str, unit: str, baseline: str,
                comparison: Comparison) -> str:
    """The benchmark's last line: `RESULT <name> <metric>=<value> <unit> baseline=<value>
    ratio=<value or unreliable>`."""
    return (f"RESULT {name} {metric}={value} {unit} baseline={baseline} {unit} "
            f"ratio={comparison.ratio_text()}")


def timed(step: object) -> float:
    started = time.perf_counter()
    step()  # type: ignore[operator]
    return time.perf_counter() - started


# --- the throwaway database ---------------------------------------------------------------------

def _url_for(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


def _admin_execute(url: str, statement: str, database: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(_url_for(url, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL(statement).format(sql.Identifier(database)))


def recreate_database(url: str, database: str) -> None:
    _admin_execute(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", database)
    _admin_execute(url, "CREATE DATABASE {}", database)


def drop_database(url: str, database: str) -> None:
    _admin_execute(url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", database)


def prepare_environment(suffix: str, settings_module: str = BENCH_SETTINGS) -> tuple[str, str]:
    """Point DATABASE_URL at a fresh database `<name>_<suffix>` on the server DATABASE_URL names
    (embedded servers when DATABASE_URL / REDIS_URL are unset); return (server URL, database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        from config import embedded

        services = embedded.start(os.environ.get("TANDEM_EMBEDDED_NAME", "bench"))
        os.environ["DATABASE_URL"] = services.database_url
        os.environ["REDIS_URL"] = services.redis_url
    server_url = os.environ["DATABASE_URL"]
    name = urlsplit(server_url).path.lstrip("/") or "tandem"
    database = name if name.endswith(f"_{suffix}") else f"{name}_{suffix}"
    recreate_database(server_url, database)
    os.environ["DATABASE_URL"] = _url_for(server_url, database)
    return server_url, database


# --- what a local server accepted ---------------------------------------------------------------

class Arrivals:
    """What a benchmark's local server (the SMTP sink, the push receiver) has accepted: `count`
    since the last `reset()`, `total` since the start; `wait_for(n)` returns once n have arrived
    since the reset, or stops the run."""

    noun = "messages"

    def __init__(self) -> None:
        self.count = 0
        self.total = 0
        self.condition = threading.Condition()

    def arrived(self) -> None:
        """One more accepted (call holding `condition`)."""
        self.count += 1
        self.total += 1
        self.condition.notify_all()

    def reset(self) -> None:
        with self.condition:
            self.count = 0

    def shortfall(self) -> str:
        """More words for a run that fell short."""
        return ""

    def wait_for(self, expected: int, timeout: float) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: self.count >= expected, timeout=timeout):
                raise SystemExit(f"FAIL: {self.count} of {expected} {self.noun} arrived in "
                                 f"{timeout} s{self.shortfall()}")


# --- gunicorn on loopback -----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _gunicorn_version() -> tuple[int, ...]:
    import gunicorn

    return tuple(gunicorn.version_info)


class Gunicorn:
    """gunicorn with infra/gunicorn.conf.py (gthread workers), bound to a free loopback port,
    serving the bench settings against the bench database (the environment of this process)."""

    def __init__(self, *, workers: int, threads: int, log: Path) -> None:
        self.port = free_port()
        self.log = log
        log.parent.mkdir(exist_ok=True)
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get(
            "DJANGO_SETTINGS_MODULE", BENCH_SETTINGS), WEB_CONCURRENCY=str(workers),
            GUNICORN_THREADS=str(threads), PORT=str(self.port))
        # --bind on the command line wins over the config's 0.0.0.0: loopback only. gunicorn 27
        # opens a control socket in the home directory, shared by every gunicorn there: not ours.
        command = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONF),
                   "--bind", f"127.0.0.1:{self.port}"]
        if _gunicorn_version() >= (27,):
            command.append("--no-control-socket")
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [*command, "config.wsgi:application"],
                cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until /readyz answers 200 (database and Redis reachable from the worker)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"FAIL: gunicorn exited with {self.process.returncode}; "
                                 f"see {self.log}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
                connection.close()
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"FAIL: gunicorn not ready on 127.0.0.1:{self.port} after {timeout} s; "
                         f"see {self.log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Gunicorn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PageFailed(SystemExit):
    """A page a benchmark times did not answer 200: the run stops with status 1."""


@dataclass
class Answer:
    status: int
    body: bytes
    location: str


class Browser:
    """One person's keep-alive HTTP connection to gunicorn, on a practice's host, with the
    cookies the site sets (session, CSRF), as a browser would hold them."""

    def __init__(self, port: int, host: str) -> None:
        self.port = port
        self.host = host
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Host": self.host, "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{self.host}"
            headers["Referer"] = f"http://{self.host}{path}"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The worker closed an idle keep-alive connection: open a new one, as a browser does.
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value
        return Answer(response.status, content, response.headers.get("Location", ""))

    def get_ok(self, path: str) -> Answer:
        """GET that must answer 200; anything else stops the run (status 1)."""
        answer = self.request("GET", path)
        if answer.status != 200:
            where = f" -> {answer.location}" if answer.location else ""
            raise PageFailed(f"FAIL: http://{self.host}{path} answered {answer.status}{where} "
                             f"(over HTTP from gunicorn on port {self.port})")
        return answer

    def sign_in(self, email: str, password: str) -> None:
        """Through the real sign-in form: GET it for the CSRF token, POST the credentials."""
        page = self.get_ok("/accounts/sign-in/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
        if match is None:
            raise PageFailed("FAIL: the sign-in page has no CSRF token")
        answer = self.request("POST", "/accounts/sign-in/", {
            "csrfmiddlewaretoken": match.group(1).decode(), "username": email,
            "password": password})
        if answer.status != 302 or "sessionid" not in self.cookies:
            raise PageFailed(f"FAIL: signing in as {email} answered {answer.status} "
                             f"(expected a redirect with a session)")

    def close(self) -> None:
        self.connection.close()
