"""A form from sharing to signature, through the pages: the notice, drafts, required answers,
submission, signing (typed name alone and with a drawing), the status staff see, the PDF with its
evidence and seal, and answers that never change once submitted."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError
from django_tenants.utils import schema_context
from PIL import Image, ImageDraw

from practice.formbuilder import seal, services
from practice.formbuilder.models import FormAssignment, FormSignature, FormTemplate
from practice.notifications import kinds
from practice.notifications.models import Notification
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.formbuilder.helpers import (
    MARKER,
    STORED,
    fill,
    give_portal_access,
    page_text,
    pdf_attachments,
    pdf_text,
    prepare,
    publish,
    share,
    sign,
)

FILL = "/portal/documents/forms/{}/"
PARTIAL = {"q-preferred_name": f"{MARKER} Chris", "q-reason": "Trouble sleeping",
           "q-concerns": ["Sleep", "Anxiety"], "action": "save"}
COMPLETE = PARTIAL | {"q-born": "1990-04-02", "q-contact": "Email", "q-medication": "no",
                      "q-sessions_before": "3", "action": "submit"}


def drawn_png_url(blank: bool = False) -> str:
    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(10, 80), (150, 20), (290, 70)], fill=(0, 0, 0, 255),
                                   width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def row(care, assignment_id: int) -> FormAssignment:
    with schema_context(care.schema):
        found = FormAssignment.objects.select_related("version").get(pk=assignment_id)
    connection.set_schema_to_public()
    return found


def test_share_fill_draft_submit_sign_and_export(alpha, beta) -> None:
    care, beta_care = prepare(alpha), prepare(beta)
    give_portal_access(care)
    template_id = publish(care)
    publish(beta_care)

    shared = care.http(alpha.front_desk).post("/documents/forms/share/", {
        "client": alpha.client.pk, "template": template_id, "due_on": "2030-01-31"})
    assert shared.status_code == 302
    with schema_context(care.schema):
        assignment = FormAssignment.objects.get()
        notices = list(Notification.objects.order_by("channel").values_list(
            "recipient_id", "kind", "channel", "context"))
        notice = Notification.objects.first()
        assert kinds.get("form_requested").is_still_due(notice) is True
    connection.set_schema_to_public()
    assert assignment.status == "requested"
    # Email only: the client has no device registered for push.
    assert notices == [(alpha.client.pk, "form_requested", "email",
                        {"form_assignment_id": assignment.pk})]
    wording = kinds.get("form_requested")
    assert (wording.subject, wording.link({"form_assignment_id": 7})) == (
        "You have a form to fill in", "/portal/documents/forms/7/")

    http = care.http(alpha.client)
    listed = page_text(http.get("/portal/documents/forms/"))
    assert "Intake form" in listed and f'href="/portal/documents/forms/{assignment.pk}/"' in listed
    assert "To fill in" in listed

    # A draft: incomplete answers are fine.
    assert http.post(FILL.format(assignment.pk), PARTIAL).status_code == 302
    draft = row(care, assignment.pk)
    assert draft.status == "in_progress"
    assert draft.answers == {"preferred_name": f"{MARKER} Chris", "reason": "Trouble sleeping",
                             "concerns": ["Sleep", "Anxiety"]}

    # Submitting without the required answers: refused, what was typed is shown again.
    refused = http.post(FILL.format(assignment.pk), PARTIAL | {"action": "submit",
                                                               "q-sessions_before": "2.5"})
    assert refused.status_code == 400
    text = page_text(refused)
    assert "4 answers need a second look." in text
    assert text.count("This question needs an answer.") == 6  # 3 in the summary, 3 inline
    assert "Enter a whole number." in text
    assert 'value="2.5"' in text and f'value="{MARKER} Chris"' in text
    assert row(care, assignment.pk).answers == draft.answers

    submitted = http.post(FILL.format(assignment.pk), COMPLETE)
    assert submitted["Location"] == f"/portal/documents/forms/{assignment.pk}/sign/"
    completed = row(care, assignment.pk)
    assert completed.status == "completed"
    assert completed.answers == STORED
    with schema_context(care.schema):
        assert kinds.get("form_requested").is_still_due(Notification.objects.first()) is False
    connection.set_schema_to_public()
    staff_view = page_text(care.http(alpha.clinician).get(
        f"/documents/forms/{assignment.pk}/"))
    assert "Completed, awaiting signature" in staff_view and "Trouble sleeping" in staff_view

    # Signing: explicit consent is required; a typed name alone (no JavaScript) is accepted.
    sign_page = page_text(http.get(f"/portal/documents/forms/{assignment.pk}/sign/"))
    assert "I confirm the information above is true." in sign_page
    assert "I agree to sign this form electronically." in sign_page
    no_consent = http.post(f"/portal/documents/forms/{assignment.pk}/sign/",
                           {"typed_name": "Chris Client"})
    assert no_consent.status_code == 400
    assert "Tick the box to agree to sign electronically." in page_text(no_consent)
    signed = http.post(f"/portal/documents/forms/{assignment.pk}/sign/",
                       {"typed_name": "  Chris   Client ", "consent": "on", "drawn": ""},
                       HTTP_USER_AGENT="Mozilla/5.0 (TestPhone)")
    assert signed.status_code == 302
    with schema_context(care.schema):
        signature = FormSignature.objects.select_related("assignment__version").get()
        expected = hashlib.sha256(seal.content_of(signature)).hexdigest()
        audited = AuditEvent.objects.get(action="form.signed").detail
    connection.set_schema_to_public()
    assert (signature.typed_name, signature.ip_address, signature.user_agent,
            signature.has_drawing) == ("Chris Client", "127.0.0.1", "Mozilla/5.0 (TestPhone)",
                                       False)
    assert signature.content_sha256 == expected
    assert audited == {"seal": expected, "drawn": False}
    assert row(care, assignment.pk).status == "signed"
    sealed = json.loads(seal.content_of(signature))
    assert sealed["answers"] == STORED
    assert sealed["signature"]["typed_name"] == "Chris Client"
    assert sealed["form"]["version"] == 1 and sealed["client"] == alpha.client.pk

    staff_view = page_text(care.http(alpha.owner).get(f"/documents/forms/{assignment.pk}/"))
    assert "Matches its seal" in staff_view and expected in staff_view
    assert "No (typed name only)" in staff_view

    # The PDF: answers, signature evidence, seal; the sealed content attached; deterministic.
    body = care.http(alpha.front_desk).get(f"/documents/forms/{assignment.pk}/pdf/")
    assert body["Content-Type"] == "application/pdf"
    assert body["Content-Disposition"] == f'attachment; filename="form-{assignment.pk}.pdf"'
    text = " ".join(pdf_text(body.content).split())
    for expected_text in ("Alpha Therapy", "Intake form", "Chris Client", f"{MARKER} Chris",
                          "Trouble sleeping", "2 April 1990", "Sleep; Anxiety",
                          "Taking medication?", "Signed by (typed name) Chris Client",
                          "127.0.0.1", "Mozilla/5.0 (TestPhone)",
                          "Matches its seal"):
        assert expected_text in text, expected_text
    assert expected[:40] in text.replace(" ", "")
    attached = pdf_attachments(body.content)
    assert list(attached) == [seal.ATTACHMENT_NAME]
    assert hashlib.sha256(attached[seal.ATTACHMENT_NAME]).hexdigest() == expected
    again = care.http(alpha.client).get(f"/portal/documents/forms/{assignment.pk}/pdf/")
    assert again.content == body.content

    # Final: the client cannot change or re-sign; the database refuses whoever asks.
    assert http.post(FILL.format(assignment.pk), COMPLETE | {"q-reason": "changed"}).status_code \
        == 302
    assert row(care, assignment.pk).answers == STORED
    with schema_context(care.schema):
        with pytest.raises(services.FormError, match="already signed"):
            services.form_sign(assignment_id=assignment.pk, typed_name="X", consent=True,
                               actor=Actor.of(alpha.client))
        for change in ({"answers": {"reason": "changed"}}, {"status": "in_progress"}):
            with pytest.raises(ProgrammingError, match="pgtrigger: Cannot"), transaction.atomic():
                FormAssignment.objects.filter(pk=assignment.pk).update(**change)
        with pytest.raises(ProgrammingError, match="pgtrigger: Cannot"), transaction.atomic():
            FormSignature.objects.filter(pk=signature.pk).update(typed_name="Someone else")
        for table in ("formbuilder_formsignature", "formbuilder_formassignment"):
            with pytest.raises(ProgrammingError, match="pgtrigger: Cannot"), \
                    transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")
    connection.set_schema_to_public()
    with schema_context(care.schema):
        events = list(AuditEvent.objects.filter(object_type="form").order_by("pk")
                      .values_list("action", "actor_id", "detail"))
    connection.set_schema_to_public()
    assert [(action, actor) for action, actor, _ in events] == [
        ("form.shared", alpha.front_desk.pk), ("form.draft_saved", alpha.client.pk),
        ("form.submitted", alpha.client.pk), ("form.viewed", alpha.clinician.pk),
        ("portal.form_viewed", alpha.client.pk), ("form.signed", alpha.client.pk),
        ("form.viewed", alpha.owner.pk), ("form.pdf_exported", alpha.front_desk.pk),
        ("portal.form_pdf_downloaded", alpha.client.pk)]
    assert MARKER not in str(events) and "Trouble" not in str(events)  # ids and flags only
    with schema_context(beta_care.schema):
        assert FormAssignment.objects.count() == 0
        assert Notification.objects.count() == 0
    connection.set_schema_to_public()


def _tamper(care, sql: str, params: list) -> None:
    """Change a signed record behind the application's back, the database's guard set aside."""
    import pgtrigger

    with schema_context(care.schema), pgtrigger.ignore(
            "formbuilder.FormAssignment:submitted_form_is_immutable",
            "formbuilder.FormSignature:signature_is_frozen"), connection.cursor() as cursor:
        cursor.execute(sql, params)
    connection.set_schema_to_public()


def test_drawn_signature_checked_and_alterations_break_the_seal(alpha) -> None:
    care = prepare(alpha)
    assignment_id = share(care, publish(care))
    fill(care, assignment_id)
    http = care.http(alpha.client)
    path = f"/portal/documents/forms/{assignment_id}/sign/"
    cases = {
        drawn_png_url(blank=True): "The drawing area is empty.",
        "data:image/png;base64,not-base64!": "The drawn signature could not be read.",
        "data:image/svg+xml;base64,PHN2Zz4=": "The drawn signature could not be read.",
        "data:image/png;base64," + "A" * 400_000: "The drawn signature is too large.",
    }
    for drawn, message in cases.items():
        answer = http.post(path, {"typed_name": "Chris", "consent": "on", "drawn": drawn})
        assert answer.status_code == 400
        assert message in page_text(answer)
    with schema_context(care.schema):
        assert FormSignature.objects.count() == 0
    connection.set_schema_to_public()
    signature = sign(care, assignment_id, drawn=drawn_png_url())
    with schema_context(care.schema):
        stored = FormSignature.objects.get()
        with Image.open(io.BytesIO(bytes(stored.drawn_png))) as image:
            assert (image.format, image.size, image.mode) == ("PNG", (300, 100), "LA")
        assert stored.drawn_sha256 == hashlib.sha256(bytes(stored.drawn_png)).hexdigest()
    connection.set_schema_to_public()
    assert (signature.has_drawing, signature.ip_address) == (True, "203.0.113.7")
    owner = care.http(alpha.owner)
    seal_api = f"/api/v1/forms/assignments/{assignment_id}/seal"
    assert owner.get(seal_api).json()["matches"] is True
    pdf = owner.get(f"/documents/forms/{assignment_id}/pdf/").content
    assert "Drawn signature Yes" in " ".join(pdf_text(pdf).split())

    # An answer changed in the database after signing.
    _tamper(care, "UPDATE formbuilder_formassignment SET answers = answers || %s::jsonb "
                  "WHERE id = %s", [json.dumps({"medication": True}), assignment_id])
    answer = owner.get(seal_api).json()
    assert answer["matches"] is False
    assert answer["recorded"] == answer["audited"] == signature.content_sha256
    assert answer["computed"] != signature.content_sha256
    assert answer["verdict"] == ("No longer matches its seal: the document was altered after "
                                 "it was signed.")
    page = page_text(owner.get(f"/documents/forms/{assignment_id}/"))
    assert "No longer matches its seal" in page
    text = " ".join(pdf_text(owner.get(f"/documents/forms/{assignment_id}/pdf/").content)
                    .split())
    assert "No longer matches its seal" in text

    # Rewriting the seal along with the answers is caught by the audit trail's copy.
    with schema_context(care.schema):
        rewritten = hashlib.sha256(seal.content_of(FormSignature.objects.get())).hexdigest()
    connection.set_schema_to_public()
    _tamper(care, "UPDATE formbuilder_formsignature SET content_sha256 = %s", [rewritten])
    answer = owner.get(seal_api).json()
    assert (answer["matches"], answer["recorded"], answer["computed"]) == (False, rewritten,
                                                                           rewritten)

    # A swapped drawing does not pass either.
    _tamper(care, "UPDATE formbuilder_formassignment SET answers = answers || %s::jsonb "
                  "WHERE id = %s", [json.dumps({"medication": False}), assignment_id])
    _tamper(care, "UPDATE formbuilder_formsignature SET content_sha256 = %s, drawn_png = %s",
            [signature.content_sha256, b"\x89PNG other"])
    assert owner.get(seal_api).json()["matches"] is False


def test_status_rules(alpha) -> None:
    care = prepare(alpha)
    template_id = publish(care)
    no_signature = publish(care, {"title": "Feedback", "sections": [{"key": "s1", "title": "",
        "fields": [{"key": "ok", "type": "yes_no", "label": "Helpful?", "required": True}]}]})
    first = share(care, template_id)
    with schema_context(care.schema):
        with pytest.raises(services.FormError, match="already has this form"):
            services.form_share(client_id=alpha.client.pk, template_id=template_id,
                                actor=Actor.of(alpha.owner))
        with pytest.raises(services.FormError, match="Submit the form before signing"):
            services.form_sign(assignment_id=first, typed_name="C", consent=True,
                               actor=Actor.of(alpha.client))
        services.form_withdraw(assignment_id=first, actor=Actor.of(alpha.clinician))
        # A new version: forms shared before keep theirs.
        template = services.template_draft_replace(
            template_id=template_id,
            definition={**FormTemplate.objects.get(pk=template_id).draft,
                        "title": "Intake form (2026)"}, actor=Actor.of(alpha.owner))
        services.template_publish(template_id=template.pk, actor=Actor.of(alpha.owner))
        with pytest.raises(services.FormError, match="Nothing has changed since version 2"):
            services.template_publish(template_id=template.pk, actor=Actor.of(alpha.owner))
        second = services.form_share(client_id=alpha.client.pk, template_id=template_id,
                                     actor=Actor.of(alpha.owner))
        assert FormAssignment.objects.get(pk=first).version.number == 1
        assert (second.version.number, second.title) == (2, "Intake form (2026)")
        feedback = services.form_share(client_id=alpha.client.pk, template_id=no_signature,
                                       actor=Actor.of(alpha.owner))
        services.form_answers_save(assignment_id=feedback.pk, answers={"ok": "yes"},
                                   submit=True, actor=Actor.of(alpha.client))
        with pytest.raises(services.FormError, match="does not ask for a signature"):
            services.form_sign(assignment_id=feedback.pk, typed_name="C", consent=True,
                               actor=Actor.of(alpha.client))
        with pytest.raises(services.FormError, match="Only a form the client has not"):
            services.form_withdraw(assignment_id=feedback.pk, actor=Actor.of(alpha.owner))
        with pytest.raises(FormAssignment.DoesNotExist):  # withdrawn: gone from the portal
            services.form_answers_save(assignment_id=first, answers={}, submit=False,
                                       actor=Actor.of(alpha.client))
        services.template_set_archived(template_id=template_id, archived=True,
                                       actor=Actor.of(alpha.owner))
        with pytest.raises(services.FormError, match="no published version"):
            services.form_share(client_id=alpha.client.pk, template_id=template_id,
                                actor=Actor.of(alpha.owner))
        statuses = dict(FormAssignment.objects.values_list("pk", "status"))
    connection.set_schema_to_public()
    assert statuses == {first: "withdrawn", second.pk: "requested", feedback.pk: "completed"}
    listed = page_text(care.http(alpha.client).get("/portal/documents/forms/"))
    assert "Intake form (2026)" in listed and "Feedback" in listed
    assert f"/portal/documents/forms/{first}/" not in listed
    assert care.http(alpha.client).get(FILL.format(first)).status_code == 404
