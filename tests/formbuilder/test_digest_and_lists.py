"""The staff digest's form counts (no PHI, only for the forms each person may see), the summary
the documents page includes, and list pages whose query counts do not grow with history."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.notifications.digest import sections
from tests.formbuilder.helpers import fill, page_text, prepare, publish, share, sign


def _queries(http, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert http.get(path).status_code == 200
    return len(captured.captured_queries)


def test_digest_summary_and_query_counts(alpha) -> None:
    care = prepare(alpha)
    template = publish(care)
    consent = publish(care, {"title": "Consent", "sections": [{"key": "s1", "title": "",
        "fields": [{"key": "ok", "type": "yes_no", "label": "Agree?"}]}]})
    signed = share(care, template)
    fill(care, signed)
    sign(care, signed)
    staff, client = care.http(alpha.owner), care.http(alpha.client)
    _queries(staff, "/documents/forms/")  # warm: the branding row and its cache
    counts = {"staff": _queries(staff, "/documents/forms/"),
              "portal": _queries(client, "/portal/documents/forms/")}
    share(care, consent)
    fill(care, share(care, publish(care, {"title": "Feedback", "sections": [
        {"key": "s1", "title": "", "fields": [{"key": "ok", "type": "yes_no",
                                               "label": "Helpful?"}]}]})))
    assert {"staff": _queries(staff, "/documents/forms/"),
            "portal": _queries(client, "/portal/documents/forms/")} == counts

    by_key = {section.key: section for section in sections()}
    since = timezone.now() - timedelta(days=1)
    with schema_context(care.schema):
        got = {who: (by_key["forms_completed"].count(user, since),
                     by_key["forms_signed"].count(user, since))
               for who, user in care.people().items() if user is not None}
        later = by_key["forms_completed"].count(alpha.owner, timezone.now())
    connection.set_schema_to_public()
    assert got == {"client": (0, 0), "front_desk": (2, 1), "billing": (0, 0),
                   "outsider": (0, 0), "clinician": (2, 1), "owner": (2, 1)}
    assert later == 0
    assert (by_key["forms_completed"].label, by_key["forms_completed"].link) == (
        "{count} forms completed", "/documents/forms/?status=completed")
    assert by_key["forms_signed"].roles == frozenset({"owner", "clinician", "front_desk"})

    # The summary other portal pages include: open forms, and those waiting for a signature.
    request = RequestFactory().get("/portal/documents/files/")
    request.user = alpha.client
    with schema_context(care.schema):
        summary = render_to_string("formbuilder/portal/_forms_summary.html",
                                   request=request)
    connection.set_schema_to_public()
    assert "Consent" in summary and "Feedback" not in summary and "Intake" not in summary
    assert "No forms to fill in right now." not in summary
    assert '<a href="/portal/documents/forms/">All my forms</a>' in summary
    home = page_text(client.get("/portal/documents/files/"))
    assert "All my forms" in home
