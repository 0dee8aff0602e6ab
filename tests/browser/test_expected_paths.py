"""Expected paths in Chromium, on the demo (practice.expected.demo): the clinician's chart of a
client not on track (Kai) and of one on track (Robin), the review, the support questions and the
owner's page; the client's own chart with the range (Robin; the demo client Jordan, in English
and in Spanish). Kai and Jordan hold sessions (their range is read by session), Robin does not
(by week). Each page at 360 px with no serious or critical axe-core violation and no sideways
scrolling; photographed at 1280 and 360 px when TANDEM_SCREENSHOTS names a folder."""

from __future__ import annotations

import os

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connection

from portal.models import ClientAccess
from practice.measurement.models import Alert
from tenants.accounts.models import User
from tests.browser.conftest import LiveServer, in_schema, new_device, sign_in
from tests.browser.test_portal_pages import the_demo_with_everything_on, weigh_and_check
from tests.conftest import Mailbox

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("TANDEM_SCREENSHOTS", "")


def test_expected_paths_pages(browser, contexts, practice_server: LiveServer,
                              mailbox: Mailbox) -> None:
    practice, _client, _invitation = the_demo_with_everything_on(mailbox)
    with in_schema(practice):
        people = {user.email.split("@")[0]: user for user in User.objects.filter(
            email__in=["kai@demo.localhost", "robin@demo.localhost", "client@demo.localhost",
                       "clinician@demo.localhost", "owner@demo.localhost"])}
        alert = Alert.objects.get(kind=Alert.Kind.NOT_ON_TRACK, client=people["kai"])
    connection.set_schema_to_public()
    origin = practice_server.url(practice, "").rstrip("/")
    staff_pages = {
        "clinician-chart-not-on-track": ("clinician", f"/clinic/clients/{people['kai'].pk}/"),
        "clinician-chart-on-track": ("clinician", f"/clinic/clients/{people['robin'].pk}/"),
        "clinician-review": ("clinician", f"/clinic/clients/{people['kai'].pk}/review/"),
        "clinician-support": ("clinician", f"/expected/alerts/{alert.pk}/support/"),
        "clinician-caseload": ("clinician", "/clinic/clients/"),
        "owner-paths": ("owner", "/expected/"),
        "client-chart-robin": ("robin", "/portal/assessments/progress/"),
        "client-chart-jordan": ("client", "/portal/assessments/progress/"),
    }
    axe = Axe()
    failures = []
    for width in (1280, 360):
        pages = {}
        for name, (who, path) in staff_pages.items():
            if who not in pages:
                pages[who] = new_device(browser, contexts, width=width)
                sign_in(pages[who], practice, practice_server, people[who])
            page = pages[who]
            status, problems, overflows, _targets = weigh_and_check(page, axe, origin + path)
            if width == 360:
                failures += [f"{name}: {problem}" for problem in problems]
                if overflows:
                    failures.append(f"{name}: scrolls sideways at 360 px")
            assert status == 200, (name, status)
            if SHOTS:
                page.screenshot(path=f"{SHOTS}/ontrack-{name}-{width}.png", full_page=True)
        body = pages["robin"].content().lower()
        assert "expected-range" in body
        assert "not on track" not in body and "watch" not in body
    # The range's time axis, labelled: by session for Kai (sessions held), by week for Robin.
    kai_chart = staff_pages["clinician-chart-not-on-track"][1]
    pages["clinician"].goto(origin + kai_chart)
    assert 'class="expected-axis-word"' in pages["clinician"].content()
    assert ">Session</text>" in pages["clinician"].content()
    pages["robin"].goto(origin + "/portal/assessments/progress/")
    assert ">Week</text>" in pages["robin"].content()
    # Jordan's own chart in Spanish: on weeks (his few recent sessions, months after his first
    # score, are sparser than one in three weeks since it: practice.expected.selectors).
    with in_schema(practice):
        ClientAccess.objects.filter(user=people["client"]).update(language="es")
    connection.set_schema_to_public()
    for width in (1280, 360):
        page = new_device(browser, contexts, width=width)
        sign_in(page, practice, practice_server, people["client"])
        status, problems, overflows, _targets = weigh_and_check(
            page, axe, origin + "/portal/assessments/progress/")
        assert status == 200
        body = page.content()
        assert '<html lang="es">' in body and ">Semana</text>" in body
        assert "El área azul sombreada" in body
        if width == 360:
            failures += [f"client-chart-jordan-es: {problem}" for problem in problems]
            if overflows:
                failures.append("client-chart-jordan-es: scrolls sideways at 360 px")
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/ontrack-client-chart-jordan-es-{width}.png",
                            full_page=True)
    assert not failures, "\n".join(failures)
