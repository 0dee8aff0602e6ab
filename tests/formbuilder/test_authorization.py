"""Who may use each forms page and endpoint: anonymous, the client, a client of another practice
(a real session of theirs replayed here), front desk, billing, a clinician not on the client's
care team, the assigned clinician and the owner. A refused request shows nothing of the form and
changes nothing; another practice's form is the same 404 as one that never existed."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.db import connection
from django_tenants.utils import schema_context

from practice.formbuilder.models import FormAssignment, FormSignature, FormTemplate, FormVersion
from tests.formbuilder.helpers import MARKER, fill, page_text, prepare, publish, share, sign

SIGN_IN = "/accounts/sign-in/"
ACTORS = ["anonymous", "client", "other_client", "front_desk", "billing", "outsider",
          "clinician", "owner"]
FOR_CLIENT = {"anonymous": 302, "client": 404, "other_client": 302, "front_desk": 200,
              "billing": 404, "outsider": 404, "clinician": 200, "owner": 200}
PRACTICE_WIDE = FOR_CLIENT | {"outsider": 200}
PORTAL = {"anonymous": 302, "client": 200, "other_client": 302, "front_desk": 404,
          "billing": 404, "outsider": 404, "clinician": 404, "owner": 404}


@pytest.fixture
def worlds(alpha, beta):
    """Alike in both practices: a signed intake form (id 1) and a requested one (id 2)."""
    cares = []
    for world in (alpha, beta):
        care = prepare(world)
        template = publish(care)
        signed = share(care, template)
        fill(care, signed)
        sign(care, signed)
        second = publish(care, {"title": "Consent", "sections": [{"key": "s1", "title": "",
            "fields": [{"key": "ok", "type": "yes_no", "label": "Agree?"}]}]})
        requested = share(care, second)
        cares.append(care)
        ids = {"template": template, "signed": signed, "requested": requested,
               "client": world.client.pk}
    assert ids == {"template": 1, "signed": 1, "requested": 2, "client": alpha.client.pk}
    return cares[0], cares[1], ids


def http_for(care, beta_care, who: str):
    if who == "anonymous":
        return care.http()
    if who == "other_client":
        session = beta_care.http(beta_care.world.client).cookies[
            settings.SESSION_COOKIE_NAME].value
        http = care.http()
        http.cookies[settings.SESSION_COOKIE_NAME] = session
        return http
    return care.http(care.people()[who])


def snapshot(care) -> dict[str, list]:
    with schema_context(care.schema):
        state = {
            "templates": list(FormTemplate.objects.order_by("pk").values_list(
                "pk", "draft", "is_archived")),
            "versions": list(FormVersion.objects.order_by("pk").values_list("pk", "number")),
            "forms": list(FormAssignment.objects.order_by("pk").values_list(
                "pk", "status", "answers")),
            "signatures": list(FormSignature.objects.values_list("pk", "content_sha256")),
        }
    connection.set_schema_to_public()
    return state


def _no_leak(response, who: str, path: str) -> None:
    body = response.content.decode()
    assert MARKER not in body and "Intake form" not in body, (who, path)
    if response.status_code == 302:
        assert response["Location"].startswith(SIGN_IN), (who, path)


def test_pages(worlds) -> None:
    care, beta_care, ids = worlds
    signed, requested, client = ids["signed"], ids["requested"], ids["client"]
    for_client = [f"/documents/forms/clients/{client}/", f"/documents/forms/{signed}/",
                  f"/documents/forms/{signed}/pdf/", f"/documents/forms/{requested}/"]
    practice_wide = ["/documents/forms/", "/documents/forms/templates/",
                     "/documents/forms/templates/1/", "/documents/forms/templates/1/preview/"]
    portal = ["/portal/documents/forms/", f"/portal/documents/forms/{signed}/",
              f"/portal/documents/forms/{signed}/pdf/", f"/portal/documents/forms/{requested}/"]
    staff_writes = [
        ("/documents/forms/share/", {"client": client, "template": 1}),
        (f"/documents/forms/{requested}/withdraw/", {}),
        ("/documents/forms/templates/", {"title": "New"}),
        ("/documents/forms/templates/1/", {"step": "add_section", "new-section-title": "X"}),
        ("/documents/forms/templates/1/publish/", {}),
        ("/documents/forms/templates/1/archive/", {}),
    ]
    portal_writes = [(f"/portal/documents/forms/{requested}/", {"q-ok": "yes",
                                                                 "action": "submit"})]
    before, beta_before = snapshot(care), snapshot(beta_care)
    for who in ACTORS:
        http = http_for(care, beta_care, who)
        for paths, expected in ((for_client, FOR_CLIENT[who]),
                                (practice_wide, PRACTICE_WIDE[who]), (portal, PORTAL[who])):
            for path in paths:
                response = http.get(path)
                assert response.status_code == expected, (who, path)
                if expected != 200:
                    _no_leak(response, who, path)
        if who == "outsider":  # in, but the client is not theirs: not on the list
            assert "Chris Client" not in http.get("/documents/forms/").content.decode()
        allowed_staff = who in ("front_desk", "clinician", "owner", "outsider")
        for path, data in [] if allowed_staff else staff_writes:
            response = http.post(path, data)
            assert response.status_code == (302 if who in ("anonymous", "other_client")
                                            else 404), (who, path)
            _no_leak(response, who, path)
        for path, data in [] if who == "client" else portal_writes:
            response = http.post(path, data)
            assert response.status_code == PORTAL[who], (who, path)
            _no_leak(response, who, path)
    assert snapshot(care) == before
    assert snapshot(beta_care) == beta_before
    # The outsider may build templates but reaches no client to share with.
    outsider = care.http(care.outsider)
    assert outsider.post("/documents/forms/share/", {"client": client, "template": 1,
                                                     "fixed_client": "1"}).status_code == 302
    assert outsider.post(f"/documents/forms/{requested}/withdraw/").status_code == 404
    assert snapshot(care)["forms"] == before["forms"]


def _api_status(who: str, allowed: set[str], success: int, *, client_specific: bool) -> int:
    """Allowed: success. A clinician off the client's team on a staff endpoint: the same 404
    as a missing form; a role without access: the same 404 (as the pages). Not signed in here:
    403."""
    if who in allowed:
        return success
    if who == "outsider" and client_specific and "clinician" in allowed:
        return 404
    return 403 if who in ("anonymous", "other_client") else 404


def test_api(worlds) -> None:
    care, beta_care, ids = worlds
    signed, requested = ids["signed"], ids["requested"]
    staff = {"front_desk", "clinician", "owner"}
    cases = [
        ("get", "/api/v1/forms/templates", None, staff | {"outsider"}, 200, False),
        ("get", "/api/v1/forms/templates/1", None, staff | {"outsider"}, 200, False),
        ("get", "/api/v1/forms/templates/1/versions/1", None, staff | {"outsider"}, 200, False),
        ("get", f"/api/v1/forms/assignments/{signed}", None, staff | {"client"}, 200, True),
        ("get", f"/api/v1/forms/assignments/{signed}/seal", None, staff, 200, True),
        ("get", f"/api/v1/forms/assignments/{signed}/pdf", None, staff | {"client"}, 200, True),
        ("put", f"/api/v1/forms/assignments/{requested}/answers",
         {"answers": {"ok": True}}, {"client"}, 200, True),
        ("post", f"/api/v1/forms/assignments/{requested}/withdraw", None, staff, 200, True),
    ]
    before, beta_before = snapshot(care), snapshot(beta_care)
    for method, path, body, allowed, success, client_specific in cases:
        for who in ACTORS:
            http = http_for(care, beta_care, who)
            response = (http.get(path) if method == "get" else getattr(http, method)(
                path, data=json.dumps(body or {}), content_type="application/json"))
            expected = _api_status(who, allowed, success, client_specific=client_specific)
            assert response.status_code == expected, (who, method, path, response.content[:200])
            if expected >= 400:
                _no_leak(response, who, path)
            elif method != "get":
                # An allowed write is undone for the next actor.
                with schema_context(care.schema):
                    FormAssignment.objects.filter(pk=requested).update(
                        status="requested", answers={}, withdrawn_at=None,
                        last_saved_at=None)
                connection.set_schema_to_public()
            assert snapshot(care) == before, (who, path)
    assert snapshot(beta_care) == beta_before
    # The list is filtered: the outsider sees none, the client their own, staff theirs.
    listed = {who: [row["id"] for row in http_for(care, beta_care, who).get(
        "/api/v1/forms/assignments").json()] for who in ("outsider", "client", "front_desk")}
    assert listed == {"outsider": [], "client": [requested, signed],
                      "front_desk": [requested, signed]}

    # Another practice's form is as missing as a form that never existed.
    beta_only = share(beta_care, 1, client=None)
    with schema_context(care.schema):
        assert not FormAssignment.objects.filter(pk=beta_only).exists()
    connection.set_schema_to_public()
    for who in ("owner", "client"):
        http = care.http(getattr(care.world, who))
        for template in ("/documents/forms/{}/", "/documents/forms/{}/pdf/",
                         "/portal/documents/forms/{}/", "/portal/documents/forms/{}/pdf/",
                         "/api/v1/forms/assignments/{}", "/api/v1/forms/assignments/{}/pdf"):
            there, missing = (http.get(template.format(beta_only)),
                              http.get(template.format(999)))
            assert there.status_code == missing.status_code == 404, (who, template)
            assert page_text(there) == page_text(missing), (who, template)
