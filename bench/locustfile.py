"""The practice-day mix bench/load.py drives with locust (headless, loopback only): clients,
clinicians and front desk staff of many practices, each a locust user signed in through the real
sign-in form on their practice's host, and a load balancer asking /healthz.

Every request must end in 200 (redirects followed; a redirect to the sign-in page or the consent
page counts as a failure), or it is a failure in locust's figures and the run fails. Forms are
filled from the page itself: every radio group gets one of its own choices (a questionnaire's
answers, a mood), text fields a short phrase; a few questionnaires are answered at the top of
every scale, so some carry a risk answer and raise an alert.

Settings from the environment (bench/load.py sets them): LOAD_HOSTS (comma separated practice
hosts), LOAD_PASSWORD, LOAD_RISK_SHARE (the share of questionnaires answered at the top).
"""

from __future__ import annotations

import os
import random
import re
from html.parser import HTMLParser
from http.cookiejar import Cookie
from typing import Any
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from requests.cookies import RequestsCookieJar

TIMINGS = os.environ.get("LOAD_TIMINGS", "")
_timings: list[str] = []


@events.request.add_listener
def _record(name: str, response_time: float, exception: Exception | None, **_: Any) -> None:
    """Every request's time, for the exact percentiles over all pages (bench/load.py)."""
    if TIMINGS:
        _timings.append(f"{name}\t{response_time:.1f}\t{int(exception is not None)}\n")


@events.quitting.add_listener
def _write(**_: Any) -> None:
    if TIMINGS:
        with open(TIMINGS, "w") as handle:
            handle.writelines(_timings)


HOSTS = [host for host in os.environ.get("LOAD_HOSTS", "demo.localhost").split(",") if host]
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
RISK_SHARE = float(os.environ.get("LOAD_RISK_SHARE", "0.1"))
CLIENTS = ["client", "taylor", "sam.lee", "riley"]
SIGNED_OUT = ("/accounts/sign-in/", "/portal/consent/")


class Form(HTMLParser):
    """The first POST form of a page (or the one whose action matches): action and fields."""

    def __init__(self, action_pattern: str = "") -> None:
        super().__init__()
        self.pattern = re.compile(action_pattern) if action_pattern else None
        self.inside = False
        self.done = False
        self.action = ""
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self.selects: dict[str, list[str]] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form" and not self.done and found.get("method", "").lower() == "post":
            action = found.get("action", "")
            if self.pattern is None or self.pattern.search(action):
                self.inside, self.action = True, action
        if not self.inside:
            return
        name = found.get("name", "")
        kind = found.get("type", "text").lower()
        if tag == "input" and name:
            if kind == "hidden":
                self.hidden[name] = found.get("value", "")
            elif kind == "radio":
                self.radios.setdefault(name, []).append(found.get("value", ""))
            elif kind == "checkbox" and "required" in found:
                self.hidden[name] = found.get("value", "on")
            elif kind in ("text", "email", "number", "date", "time") and "required" in found:
                self.texts.append(name)
        elif tag == "textarea" and name and "required" in found:
            self.texts.append(name)
        elif tag == "select" and name:
            self._select = name
            self.selects[name] = []
        elif tag == "option" and self._select and found.get("value"):
            self.selects[self._select].append(found["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "form" and self.inside:
            self.inside, self.done = False, True

    def data(self, *, top: bool) -> dict[str, str]:
        values = dict(self.hidden)
        for name, choices in self.radios.items():
            numeric = [c for c in choices if c.lstrip("-").isdigit()]
            if top and numeric:
                values[name] = max(numeric, key=int)
            else:
                values[name] = random.choice(numeric[:2] or choices)
        for name, choices in self.selects.items():
            if choices and name not in values:
                values[name] = choices[0]
        for name in self.texts:
            values.setdefault(name, "A quiet day")
        return values


def form_of(body: str, action_pattern: str = "") -> Form | None:
    parser = Form(action_pattern)
    parser.feed(body)
    return parser if parser.done else None


class ProxyHopJar(RequestsCookieJar):
    """The cookies of a browser seen on the hop from the proxy to gunicorn: the browser sends
    its Secure cookies over HTTPS, the proxy passes them on over plain HTTP. requests would keep
    them off an http:// URL (and copies the session's jar into a new one for every request, so a
    cookie policy on it is lost), so they are stored without the flag."""

    def set_cookie(self, cookie: Cookie, *args: Any, **kwargs: Any) -> None:
        cookie.secure = False
        super().set_cookie(cookie, *args, **kwargs)


def behind_proxy(user: HttpUser) -> None:
    """As the proxy in front of gunicorn forwards a browser's HTTPS request: plain HTTP on
    loopback with X-Forwarded-Proto: https, and the browser's Secure cookies."""
    user.client.headers["X-Forwarded-Proto"] = "https"
    user.client.cookies = ProxyHopJar()


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 4)
    email_name = ""

    def on_start(self) -> None:
        self.practice_host = random.choice(HOSTS)
        behind_proxy(self)
        self.client.headers.update({"Host": self.practice_host, "Accept": "text/html"})
        self.sign_in()

    def who(self) -> str:
        return f"{self.email_name}@demo.localhost"

    def sign_in(self) -> None:
        page = self.get("/accounts/sign-in/", "sign-in")
        if page is None:
            return
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = {"csrfmiddlewaretoken": token.group(1) if token else "", "username": self.who(),
                "password": PASSWORD}
        headers = {"Origin": f"https://{self.practice_host}",
                   "Referer": f"https://{self.practice_host}/accounts/sign-in/"}
        with self.client.post("/accounts/sign-in/", data=data, name="sign-in (post)",
                              headers=headers, catch_response=True) as response:
            consent = "/portal/consent/" in (response.url or "")
            if response.status_code == 200 and consent:
                response.success()
                body = response.text
            else:
                body = self._check(response)
        if body and consent:
            # A client who has not accepted the current consent yet does so once, as a
            # person would, before anything else.
            self.submit(body, "/portal/consent/", "client: consent (post)",
                        action=r"^$|^/portal/consent/")

    def _check(self, response: Any) -> str | None:
        final = response.url or ""
        # The path only (ids, never PHI; no query string), so a failure says where it was.
        where = urlsplit(final).path
        if response.status_code != 200:
            response.failure(f"answered {response.status_code} at {where}")
            return None
        if any(part in final for part in SIGNED_OUT) and response.history:
            response.failure(f"redirected to {where}")
            return None
        response.success()
        return response.text

    def get(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, catch_response=True) as response:
            return self._check(response)

    def post(self, path: str, name: str, data: dict[str, str]) -> str | None:
        headers = {"Origin": f"https://{self.practice_host}",
                   "Referer": f"https://{self.practice_host}{path}"}
        with self.client.post(path, data=data, name=name, headers=headers,
                              catch_response=True) as response:
            return self._check(response)

    def submit(self, page: str, path: str, name: str, *, top: bool = False,
               action: str = "") -> str | None:
        form = form_of(page, action or r"^$")
        if form is None:
            return None
        return self.post(form.action or path, name, form.data(top=top))


class Client(Person):
    weight = 6

    def on_start(self) -> None:
        self.email_name = random.choice(CLIENTS)
        super().on_start()

    @task(5)
    def dashboard(self) -> None:
        self.get("/portal/", "client: dashboard")

    @task(3)
    def mood(self) -> None:
        page = self.get("/portal/mood/", "client: mood check-in")
        if page:
            self.submit(page, "/portal/mood/", "client: mood check-in (post)",
                        action=r"^$|^/portal/mood/")

    @task(2)
    def questionnaire(self) -> None:
        listing = self.get("/portal/assessments/", "client: questionnaires")
        if not listing:
            return
        due = re.findall(r'href="(/portal/assessments/\d+/)"', listing)
        if not due:
            return
        path = random.choice(due)
        page = self.get(path, "client: questionnaire")
        top = random.random() < RISK_SHARE
        for _step in range(3):  # answer, review, submit (the result page has no such form)
            if not page:
                break
            page = self.submit(page, path, "client: questionnaire (post)", top=top,
                               action=r"^$|^/portal/assessments/\d+/")

    @task(3)
    def progress(self) -> None:
        self.get("/portal/assessments/progress/", "client: progress")

    @task(2)
    def messages(self) -> None:
        self.get("/portal/messages/", "client: messages")

    @task(1)
    def booking(self) -> None:
        if self.email_name != "client":  # the others' practice shows them no appointments
            return
        self.get("/portal/appointments/", "client: appointments")
        self.get("/portal/appointments/book/", "client: booking")


class Clinician(Person):
    weight = 3
    email_name = "clinician"

    @task(4)
    def today(self) -> None:
        self.get("/", "clinician: today")

    @task(3)
    def caseload(self) -> None:
        page = self.get("/clinic/clients/", "clinician: caseload")
        if not page:
            return
        clients = re.findall(r'href="(/clinic/clients/\d+/)"', page)
        if clients:
            client = random.choice(clients)
            self.get(client, "clinician: client page")
            self.get(f"{client}review/", "clinician: review")

    @task(2)
    def alerts(self) -> None:
        self.get("/clinic/alerts/", "clinician: alerts")

    @task(2)
    def messages(self) -> None:
        self.get("/messages/", "clinician: messages")


class FrontDesk(Person):
    weight = 1
    email_name = "frontdesk"

    @task(2)
    def schedule(self) -> None:
        self.get("/appointments/", "front desk: schedule")

    @task(1)
    def booking(self) -> None:
        self.get("/appointments/book/", "front desk: booking")


class LoadBalancer(HttpUser):
    """What the load balancer asks every few seconds, in the same run."""

    weight = 1
    fixed_count = 1
    wait_time = between(1, 2)

    @task
    def healthz(self) -> None:
        with self.client.get("/healthz", name="/healthz", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"answered {response.status_code}")
