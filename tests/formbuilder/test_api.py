"""The forms API end to end: build and publish a template, share it, the client saves a draft,
submits and signs, staff read the answers, the seal and the PDF; bad input is answered 400 with
what is wrong, and nothing changes."""

from __future__ import annotations

import json

from django.db import connection
from django_tenants.utils import schema_context

from practice.formbuilder.models import FormAssignment, FormTemplate
from tests.formbuilder.helpers import INTAKE, STORED, give_portal_access, prepare


def send(http, method: str, path: str, body: dict | None = None):
    return getattr(http, method)(path, data=json.dumps(body or {}),
                                 content_type="application/json")


def test_api_flow(alpha) -> None:
    care = prepare(alpha)
    give_portal_access(care)
    staff, client = care.http(alpha.front_desk), care.http(alpha.client)

    bad = send(staff, "post", "/api/v1/forms/templates",
               {"title": "Broken", "definition": {"title": "Broken", "sections": [
                   {"key": "s1", "fields": [{"key": "a", "type": "essay", "label": "A"}]}]}})
    assert bad.status_code == 400
    assert bad.json()["problems"] == [
        "Section 1, question 1 has an unknown type 'essay'; use one of short_text, long_text, "
        "single_choice, multiple_choice, date, number, yes_no, signature."]
    created = send(staff, "post", "/api/v1/forms/templates", {"title": "Intake"})
    assert created.status_code == 201
    template_id = created.json()["id"]
    assert created.json()["latest_version"] is None
    empty = send(staff, "post", f"/api/v1/forms/templates/{template_id}/publish")
    assert empty.status_code == 400
    assert empty.json()["problems"] == ["Section 1 has no questions.",
                                        "The form needs at least one question to answer."]
    assert send(staff, "put", f"/api/v1/forms/templates/{template_id}",
                {"definition": INTAKE}).status_code == 200
    published = send(staff, "post", f"/api/v1/forms/templates/{template_id}/publish")
    assert (published.status_code, published.json()["number"]) == (201, 1)
    assert published.json()["definition"]["sections"][1]["fields"][1]["max"] == "500"

    shared = send(staff, "post", "/api/v1/forms/assignments",
                  {"client_id": alpha.client.pk, "template_id": template_id})
    assert shared.status_code == 201
    form_id = shared.json()["id"]
    assert shared.json()["status"] == "requested"
    again = send(staff, "post", "/api/v1/forms/assignments",
                 {"client_id": alpha.client.pk, "template_id": template_id})
    assert again.json() == {"detail": "This client already has this form to fill in."}
    assert send(staff, "post", "/api/v1/forms/assignments",
                {"client_id": 9999, "template_id": template_id}).status_code == 404

    answers = f"/api/v1/forms/assignments/{form_id}/answers"
    wrong = send(client, "put", answers, {"answers": {"born": "yesterday", "ghost": 1},
                                          "submit": True})
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == {
        "born": "Enter a date as year-month-day, e.g. 2026-03-14.",
        "ghost": "This form has no such question.",
        "preferred_name": "This question needs an answer.",
        "contact": "This question needs an answer.",
        "medication": "This question needs an answer."}
    draft = send(client, "put", answers, {"answers": {"preferred_name": "Chris"}})
    assert (draft.status_code, draft.json()["status"]) == (200, "in_progress")
    early = send(client, "post", f"/api/v1/forms/assignments/{form_id}/sign",
                 {"typed_name": "Chris", "consent": True})
    assert early.status_code == 409
    assert early.json() == {"detail": "Submit the form before signing it."}
    done = send(client, "put", answers, {"answers": STORED, "submit": True})
    assert (done.json()["status"], done.json()["awaits_signature"]) == ("completed", True)
    assert send(client, "put", answers, {"answers": STORED}).json() == {
        "detail": "This form was already submitted; its answers cannot change."}
    no_consent = send(client, "post", f"/api/v1/forms/assignments/{form_id}/sign",
                      {"typed_name": "Chris Client", "consent": False})
    assert no_consent.json() == {"detail": "Tick the box to agree to sign electronically."}
    signed = send(client, "post", f"/api/v1/forms/assignments/{form_id}/sign",
                  {"typed_name": "Chris Client", "consent": True})
    assert signed.status_code == 201
    body = signed.json()
    assert (body["status"], body["answers"], body["signature"]["typed_name"],
            body["signature"]["has_drawing"]) == ("signed", STORED, "Chris Client", False)

    seal = staff.get(f"/api/v1/forms/assignments/{form_id}/seal").json()
    assert seal["matches"] is True and seal["recorded"] == body["signature"]["seal"]
    pdf = staff.get(f"/api/v1/forms/assignments/{form_id}/pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert staff.get("/api/v1/forms/assignments?status=signed").json()[0]["id"] == form_id
    assert staff.get("/api/v1/forms/assignments?status=requested").json() == []
    schema = staff.get("/api/v1/schema/")
    assert schema.status_code == 200
    for path in ("/api/v1/forms/templates", "/api/v1/forms/assignments/{assignment_id}/seal",
                 "/api/v1/forms/assignments/{assignment_id}/sign"):
        assert path in schema.content.decode()
    with schema_context(care.schema):
        assert list(FormTemplate.objects.values_list("title", flat=True)) == ["Intake form"]
        assert FormAssignment.objects.count() == 1
    connection.set_schema_to_public()
