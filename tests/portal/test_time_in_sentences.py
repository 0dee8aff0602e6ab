"""A time that ends a phrase keeps one full stop: English writes "4:14 a.m.", so a sentence
ending on it read "4:14 a.m.." (the portal's result page, the urgent-contact page). The wording
puts the time inside the sentence instead, in English and in Spanish."""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection
from django_tenants.utils import schema_context

from portal.models import ClientAccess
from practice.measurement.models import Alert, Response
from tenants.features import MODULE_KEYS
from tests.conftest import PracticeWorld
from tests.portal.helpers import CLIENT_ZONE, prepare, submit_phq9

# 4:14 in the morning where the test client lives.
EARLY = datetime(2026, 3, 2, 4, 14, tzinfo=ZoneInfo(CLIENT_ZONE))


def shown(response) -> str:
    """The page's text as read, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _in_spanish(world: PracticeWorld) -> None:
    with schema_context(world.practice.schema_name):
        ClientAccess.objects.update_or_create(user=world.client, defaults={
            "language": "es", "visible_modules": sorted(MODULE_KEYS)})
    connection.set_schema_to_public()


def _submitted_early(world: PracticeWorld) -> int:
    """A PHQ-9 submitted at 4:14 a.m. (a submitted response cannot be changed afterwards)."""
    with time_machine.travel(EARLY, tick=False):
        response_id = submit_phq9(world, 9)
    with schema_context(world.practice.schema_name):
        assert Response.objects.get(pk=response_id).submitted_at == EARLY
    connection.set_schema_to_public()
    return response_id


def _asked_early(world: PracticeWorld) -> str:
    http = world.http(world.client)
    http.post("/portal/urgent-contact/")
    with schema_context(world.practice.schema_name):
        assert Alert.objects.filter(kind="urgent_contact").update(created_at=EARLY) == 1
    connection.set_schema_to_public()
    return shown(http.get("/portal/urgent-contact/"))


def test_the_result_page_says_the_time_once_with_one_full_stop(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    response_id = _submitted_early(alpha)

    body = shown(alpha.http(alpha.client).get(f"/portal/assessments/{response_id}/result/"))

    assert "Submitted at 4:14 a.m. on 2 March 2026. Submitted answers can't be changed." in body
    assert "a.m.." not in body
    with schema_context(beta.practice.schema_name):
        assert Response.objects.filter(submitted_at=EARLY).count() == 0
    connection.set_schema_to_public()


def test_the_result_page_in_spanish(alpha) -> None:
    prepare(alpha)
    response_id = _submitted_early(alpha)
    _in_spanish(alpha)

    body = shown(alpha.http(alpha.client).get(f"/portal/assessments/{response_id}/result/"))

    assert ("Enviado el 2 marzo 2026 a las 04:14. Las respuestas enviadas no se pueden "
            "cambiar.") in body
    assert "04:14.." not in body


def test_the_urgent_contact_page_says_the_time_with_one_full_stop(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)

    body = _asked_early(alpha)

    assert ("Your request was sent at 4:14 a.m. on 2 March 2026. Your clinician has been told "
            "and will contact you as soon as they can.") in body
    assert "a.m.." not in body
    with schema_context(beta.practice.schema_name):
        assert Alert.objects.count() == 0
    connection.set_schema_to_public()


def test_the_urgent_contact_page_in_spanish(alpha) -> None:
    prepare(alpha)
    _in_spanish(alpha)

    body = _asked_early(alpha)

    assert ("Su solicitud se envió el 2 marzo 2026 a las 04:14. Se le avisó a su "
            "profesional clínico, que se comunicará con usted lo antes posible.") in body
    assert "04:14.." not in body
