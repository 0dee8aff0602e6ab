"""Modules a practice turns off disappear from its portal (404), and only from its portal; crisis
help is never off; a page stays small."""

from __future__ import annotations

from django.db import connection
from django_tenants.utils import schema_context

from practice.measurement.models import Response
from tenants.models import Practice
from tests.portal.helpers import PHQ9_ITEMS, assign, prepare, submit_phq9


def turn_off(world, module: str) -> None:
    modules = [key for key in world.practice.enabled_modules if key != module]
    Practice.objects.filter(pk=world.practice.pk).update(enabled_modules=modules)
    world.practice.refresh_from_db()


def assessment_requests(submitted: int, due: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", "/portal/assessments/", {}),
        ("get", "/portal/assessments/progress/", {}),
        ("get", f"/portal/assessments/{due}/", {}),
        ("get", f"/portal/assessments/{due}/review/", {}),
        ("get", f"/portal/assessments/{submitted}/result/", {}),
        ("post", f"/portal/assessments/{due}/",
         {key: "0" for key in PHQ9_ITEMS} | {"layout": "all", "action": "later"}),
        ("post", f"/portal/assessments/{due}/submit/", {"confirm_missing": "1"}),
    ]


def answers(world, response_id: int) -> dict:
    with schema_context(world.practice.schema_name):
        saved = Response.objects.get(pk=response_id).answers
    connection.set_schema_to_public()
    return saved


def test_assessments_off_in_alpha_answer_404_there_and_work_in_beta(alpha, beta) -> None:
    ids = {}
    for world in (alpha, beta):
        prepare(world)
        ids[world.practice.subdomain] = (submit_phq9(world, 12), assign(world))
    assert ids["alpha"] == ids["beta"]
    turn_off(alpha, "assessments")
    alpha_http, beta_http = alpha.http(alpha.client), beta.http(beta.client)
    for method, path, data in assessment_requests(*ids["alpha"]):
        assert getattr(alpha_http, method)(path, data).status_code == 404, path
        assert getattr(beta_http, method)(path, data).status_code in (200, 302), path
    assert answers(alpha, ids["alpha"][1]) == {}
    assert answers(beta, ids["beta"][1]) == {key: 0 for key in PHQ9_ITEMS}

    home = alpha_http.get("/portal/")
    assert home.status_code == 200
    body = home.content.decode()
    assert "/portal/assessments/" not in body
    assert "PHQ-9" not in body
    assert '<a href="/portal/mood/">Mood check-in</a>' in body  # still on
    assert alpha_http.get("/portal/help/").status_code == 200
    beta_home = beta_http.get("/portal/").content.decode()
    assert '<a href="/portal/assessments/">Assessments</a>' in beta_home


def test_mood_off_in_alpha_answers_404_there_and_works_in_beta(alpha, beta) -> None:
    prepare(alpha)
    prepare(beta)
    turn_off(alpha, "mood_checkin")
    alpha_http, beta_http = alpha.http(alpha.client), beta.http(beta.client)
    assert alpha_http.get("/portal/mood/").status_code == 404
    assert alpha_http.post("/portal/mood/", {"mood": "5"}).status_code == 404
    assert beta_http.get("/portal/mood/").status_code == 200
    assert beta_http.post("/portal/mood/", {"mood": "5"}).status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert Response.objects.count() == 0
    with schema_context(beta.practice.schema_name):
        assert Response.objects.count() == 1
    connection.set_schema_to_public()
    assert "/portal/mood/" not in alpha_http.get("/portal/").content.decode()


def test_crisis_help_stays_when_every_module_is_off(alpha) -> None:
    prepare(alpha)
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=[])
    alpha.practice.refresh_from_db()
    for user in (None, alpha.client):
        response = alpha.http(user).get("/portal/help/")
        assert response.status_code == 200
        assert 'href="tel:988"' in response.content.decode()
    assert alpha.http(alpha.client).get("/portal/").status_code == 200


def test_every_portal_page_stays_small(alpha) -> None:
    prepare(alpha)
    submitted = submit_phq9(alpha, 14, q9=1)
    due = assign(alpha)
    http = alpha.http(alpha.client)
    for path in ("/portal/", "/portal/help/", "/portal/assessments/",
                 "/portal/assessments/progress/", f"/portal/assessments/{due}/",
                 f"/portal/assessments/{due}/?layout=all", f"/portal/assessments/{due}/review/",
                 f"/portal/assessments/{submitted}/result/", "/portal/mood/"):
        response = http.get(path)
        assert response.status_code == 200, path
        assert len(response.content) < 100_000, path
