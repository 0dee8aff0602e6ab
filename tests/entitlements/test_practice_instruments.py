"""Defining the practice's own instruments is a plan entitlement: on Solo the editor, publishing
and the API refuse with the way up, and the buttons are gone; instruments published before
stay listed and previewable. Group and the trial may define them."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from practice.measurement import services
from practice.measurement.models import PracticeInstrument
from practice.measurement.views_clinic.instruments import STARTER_DEFINITION
from tenants.actor import Actor
from tenants.models import Practice
from tests.conftest import PracticeWorld

pytestmark = pytest.mark.django_db

REFUSAL = ("Defining your own instruments is not included in your Solo plan. Upgrade the plan "
           "on the billing page (/billing/) to create or change them. Instruments already "
           "published can still be assigned.")


def on_plan(world: PracticeWorld, plan_key: str) -> None:
    Practice.objects.filter(pk=world.practice.pk).update(plan_key=plan_key)
    world.practice.refresh_from_db()


def definition(key: str) -> dict:
    return {**STARTER_DEFINITION, "key": key, "title": f"Instrument {key}"}


def rows(world: PracticeWorld) -> list[tuple]:
    with schema_context(world.practice.schema_name):
        return list(PracticeInstrument.objects.order_by("pk")
                    .values_list("key", "version", "status"))


def published_before(world: PracticeWorld, key: str) -> None:
    with schema_context(world.practice.schema_name):
        services.practice_instrument_save(data=definition(key), actor=Actor.of(world.clinician))
        services.practice_instrument_publish(key=key, actor=Actor.of(world.clinician))


def test_solo_refuses_the_editor_and_publishing(alpha: PracticeWorld, beta: PracticeWorld
                                                ) -> None:
    published_before(alpha, "old_one")
    with schema_context(alpha.practice.schema_name):
        services.practice_instrument_save(data={**definition("old_one"), "title": "Draft 2"},
                                          key="old_one", actor=Actor.of(alpha.clinician))
    on_plan(alpha, "solo")
    before = rows(alpha)
    http = alpha.http(alpha.clinician)

    for response in (
        http.get("/clinic/instruments/new/"),
        http.post("/clinic/instruments/new/", {"definition": json.dumps(definition("new"))}),
        http.get("/clinic/instruments/old_one/edit/"),
        http.post("/clinic/instruments/old_one/publish/"),
    ):
        assert response.status_code == 302
        assert response["Location"] == "/clinic/instruments/"

    page = http.get("/clinic/instruments/").content.decode()
    assert REFUSAL.replace("'", "&#x27;") in page
    assert "Defining your own instruments is not included in your plan." in page
    assert "/clinic/instruments/new/" not in page
    assert "/clinic/instruments/old_one/edit/" not in page
    assert "Draft 2 <small class=\"muted\">(old_one)</small>" in page  # still listed
    assert http.get("/clinic/instruments/old_one/preview/").status_code == 200
    assert rows(alpha) == before
    # Beta, on its trial, defines one.
    beta_http = beta.http(beta.clinician)
    assert beta_http.post("/clinic/instruments/new/",
                          {"definition": json.dumps(definition("new"))}).status_code == 302
    assert rows(beta) == [("new", 1, "draft")]


def test_solo_refuses_the_api(alpha: PracticeWorld) -> None:
    published_before(alpha, "old_one")
    on_plan(alpha, "solo")
    before = rows(alpha)
    http = alpha.http(alpha.clinician)

    responses = [
        http.post("/api/v1/instruments", data=json.dumps(definition("new")),
                  content_type="application/json"),
        http.put("/api/v1/instruments/old_one/draft", data=json.dumps(definition("old_one")),
                 content_type="application/json"),
        http.post("/api/v1/instruments/old_one/publish"),
    ]

    for response in responses:
        assert response.status_code == 403
        assert response.json() == {"detail": REFUSAL}
    assert rows(alpha) == before
    assert http.get("/api/v1/instruments").status_code == 200


@pytest.mark.parametrize("plan_key", ["group", "program", ""])
def test_bigger_plans_and_the_trial_define_instruments(alpha: PracticeWorld,
                                                       plan_key: str) -> None:
    on_plan(alpha, plan_key)
    http = alpha.http(alpha.clinician)
    assert http.get("/clinic/instruments/new/").status_code == 200
    response = http.post("/api/v1/instruments", data=json.dumps(definition("mine")),
                         content_type="application/json")
    assert response.status_code == 201
    assert http.post("/api/v1/instruments/mine/publish").status_code == 200
    assert rows(alpha) == [("mine", 1, "published")]
