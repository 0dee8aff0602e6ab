"""Regressions for what the schemathesis run (test_schemathesis.py) turned up or pointed at:
query strings a client can send that used to reach the database or int() unchecked and answer
500. Each now answers 400 with the field at fault, or ignores a filter that cannot match."""

from __future__ import annotations

from typing import Any

from django_tenants.utils import schema_context

from practice.notifications.models import Notification
from tenants.models import Practice
from tests.conftest import PracticeWorld


def notification_count(world: PracticeWorld) -> int:
    with schema_context(world.practice.schema_name):
        return Notification.objects.count()


def test_a_nul_in_the_delivery_log_filter_is_a_400(alpha: PracticeWorld,
                                                   beta: PracticeWorld) -> None:
    http = alpha.http(alpha.owner)

    nul = http.get("/api/v1/notifications/deliveries", {"kind": "reminder\x00"})
    lost = http.get("/api/v1/notifications/deliveries", {"status": "lost"})
    empty = http.get("/api/v1/notifications/deliveries", {"status": "", "kind": ""})

    assert nul.status_code == 400
    assert nul.json() == {"kind": ["Null characters are not allowed."]}
    assert lost.status_code == 400
    assert lost.json() == {"status": ['"lost" is not a valid choice.']}
    assert (empty.status_code, empty.json()["count"]) == (200, 0)
    assert notification_count(beta) == 0


def test_a_nul_in_the_responses_filter_is_a_400(alpha: PracticeWorld) -> None:
    url = f"/api/v1/clients/{alpha.client.pk}/responses"

    nul = alpha.http(alpha.owner).get(url, {"instrument": "phq9\x00"})
    fine = alpha.http(alpha.owner).get(url, {"instrument": "phq9"})
    not_in_reach = alpha.http(alpha.clinician).get(url, {"instrument": "phq9\x00"})

    assert nul.status_code == 400
    assert nul.json() == {"instrument": ["Null characters are not allowed."]}
    assert (fine.status_code, fine.json()["count"]) == (200, 0)
    assert not_in_reach.status_code == 404  # authorisation first, as before


def test_a_version_out_of_range_is_a_400_naming_the_field(alpha: PracticeWorld) -> None:
    http = alpha.http(alpha.clinician)

    negative = http.get("/api/v1/instruments/phq9", {"version": "-98"})
    huge = http.get("/api/v1/instruments/phq9", {"version": str(2**40)})
    blank = http.get("/api/v1/instruments/phq9", {"version": ""})

    assert negative.status_code == huge.status_code == 400
    assert negative.json() == {"version": ["Ensure this value is greater than or equal to 1."]}
    assert huge.json() == {"version": ["Ensure this value is less than or equal to 2147483647."]}
    assert (blank.status_code, blank.json()["key"], blank.json()["version"]) == (200, "phq9", 1)


def _listing(world: PracticeWorld, path: str, client: Any) -> Any:
    return world.http(world.owner).get(path, {"client": client})


def test_a_client_filter_in_other_digits_is_no_filter_not_a_500(alpha: PracticeWorld) -> None:
    # "²".isdigit() is true and int("²") raises: these filters used to answer 500.
    Practice.objects.filter(pk=alpha.practice.pk).update(
        enabled_modules=sorted({*alpha.practice.enabled_modules, "documents", "billing"}))
    for path in ("/api/v1/forms/assignments", "/api/v1/invoices"):
        superscript = _listing(alpha, path, "²")
        plain = _listing(alpha, path, "")

        assert (path, superscript.status_code) == (path, plain.status_code)
        assert superscript.json() == plain.json()
