"""The releases-of-information API: its authorisation matrix (the holders of DISCLOSE, and the
client for their own releases and accounting; everyone else, another client, a clinician not
assigned and another practice's record the same 404), drafting, revoking, disclosing through
`disclose` only (a release that does not cover the request is refused with the reason, nothing
written), the ledger and the accounting, audited as the pages are."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure.models import Disclosure, Release
from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.care.helpers import _accept_consent
from tests.disclosure.helpers import prepare, signed

API = "/api/v1"
SECRET = "Dr Priya Patel"  # the recipient: never in a refusal's body
NOT_FOUND = {"detail": "Not found."}


def call(http, method: str, path: str, body: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    if method == "get":
        return http.get(f"{API}{path}")
    return http.post(f"{API}{path}", data=json.dumps(body or {}),
                     content_type="application/json")


def _draft_body() -> dict[str, Any]:
    return {"recipient_name": SECRET, "recipient_organisation": "Northside Psychiatry",
            "kinds": ["scores", "documents"], "instrument_keys": ["phq9"],
            "purpose": "Medication review",
            "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat()}


@pytest.fixture
def people(alpha, beta):  # type: ignore[no-untyped-def]
    with schema_context(beta.practice.schema_name):
        prepare(beta)
        for _ in range(8):  # ids alpha does not reach in these tests
            signed(beta)
        beta_only = Release.objects.order_by("-pk").first().pk
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        outsider = User.objects.create_user("outsider@example.org", "x-Pass-12345",
                                            full_name="Otto Other", role=Role.CLINICIAN)
        sibling = User.objects.create_user("sibling@example.org", "x-Pass-12345",
                                           full_name="Sam Sibling", role=Role.CLIENT)
        _accept_consent(sibling)
        _accept_consent(alpha.client)
    other_client = beta.http(beta.client)
    other_client.defaults["HTTP_HOST"] = alpha.host
    https = {"anonymous": alpha.http(), "other_client": other_client,
             "sibling": alpha.http(sibling), "billing": alpha.http(alpha.billing),
             "front_desk": alpha.http(alpha.front_desk), "outsider": alpha.http(outsider),
             "client": alpha.http(alpha.client), "clinician": alpha.http(alpha.clinician),
             "owner": alpha.http(alpha.owner)}
    return {"http": https, "release": release.pk, "beta_only": beta_only,
            "client": alpha.client.pk}


ALLOWED = {
    "list_releases": {"client", "clinician", "owner"},
    "create_release": {"clinician", "owner"},
    "read_release": {"client", "clinician", "owner"},
    "disclose": {"clinician", "owner"},
    "ledger": {"clinician", "owner"},
    "accounting": {"client", "clinician", "owner"},
}
SIGNED_IN_ELSEWHERE = {"anonymous", "other_client"}  # no session on this host: DRF's 403


def _requests(ids: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    client, release = ids["client"], ids["release"]
    return {
        "list_releases": ("get", f"/clients/{client}/releases", None),
        "create_release": ("post", f"/clients/{client}/releases", _draft_body()),
        "read_release": ("get", f"/releases/{release}", None),
        "disclose": ("post", f"/releases/{release}/disclosures",
                     {"package_kind": "progress_report"}),
        "ledger": ("get", f"/clients/{client}/disclosures", None),
        "accounting": ("get", f"/clients/{client}/accounting-of-disclosures", None),
    }


def test_api_matrix(alpha, beta, people) -> None:
    for name, (method, path, body) in _requests(people).items():
        for who, http in people["http"].items():
            with schema_context(alpha.practice.schema_name):
                before = (Release.objects.count(), Disclosure.objects.count())
            answer = call(http, method, path, body)
            if who in SIGNED_IN_ELSEWHERE:
                expected = 403
            elif who in ALLOWED[name]:
                expected = 201 if method == "post" else 200
            else:
                expected = 404
            assert answer.status_code == expected, (name, who, answer.content)
            if expected != 404:
                continue
            assert answer.json() == NOT_FOUND, (name, who)
            with schema_context(alpha.practice.schema_name):
                assert (Release.objects.count(), Disclosure.objects.count()) == before
    # Another practice's release, a missing one, a missing client: the same 404 for the owner.
    owner = people["http"]["owner"]
    for path in (f"/releases/{people['beta_only']}", "/releases/987654",
                 f"/releases/{people['beta_only']}/revoke", "/clients/987654/releases",
                 "/clients/987654/accounting-of-disclosures"):
        method = "post" if path.endswith("revoke") else "get"
        answer = call(owner, method, path)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), path
    with schema_context(beta.practice.schema_name):
        assert Disclosure.objects.count() == 0
        assert set(Release.objects.values_list("status", flat=True)) == {"signed"}


def test_revoke_by_the_client_and_by_staff_and_nobody_else(alpha, people) -> None:
    http = people["http"]
    for who in ("sibling", "front_desk", "billing", "outsider"):
        answer = call(http[who], "post", f"/releases/{people['release']}/revoke")
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), who
    with schema_context(alpha.practice.schema_name):
        assert Release.objects.get(pk=people["release"]).status == "signed"
        staff_release = signed(alpha).pk
    mine = call(http["client"], "post", f"/releases/{people['release']}/revoke")
    assert (mine.status_code, mine.json()["status"]) == (200, "revoked")
    again = call(http["client"], "post", f"/releases/{people['release']}/revoke")
    assert again.status_code == 400 and again.json() == {
        "detail": "This release is no longer in force."}
    recorded = call(http["clinician"], "post", f"/releases/{staff_release}/revoke")
    assert (recorded.status_code, recorded.json()["status"]) == (200, "revoked")
    # The next disclosure under a revoked release is refused with the reason.
    refused = call(http["clinician"], "post", f"/releases/{staff_release}/disclosures",
                   {"package_kind": "progress_report"})
    assert refused.status_code == 409 and refused.json() == {
        "detail": "The release was revoked.", "missing": []}


def test_a_disclosure_through_the_api_and_its_refusals(alpha, people, mailbox,
                                                       django_capture_on_commit_callbacks
                                                       ) -> None:
    staff = people["http"]["clinician"]
    release = people["release"]  # scores (phq9) and goals, no date range
    not_named = call(staff, "post", f"/releases/{release}/disclosures",
                     {"package_kind": "documents"})
    assert not_named.status_code == 409 and not_named.json() == {
        "detail": "The release does not cover: kinds: documents.", "missing": []}
    with schema_context(alpha.practice.schema_name):
        dated = signed(alpha, kinds=["scores"], covers_from=timezone.localdate()
                       - timedelta(days=400)).pk
    too_wide = call(staff, "post", f"/releases/{dated}/disclosures",
                    {"package_kind": "fhir_bundle",
                     "covers_from": (timezone.localdate() - timedelta(days=500)).isoformat()})
    assert too_wide.status_code == 409 and too_wide.json()["detail"] == (
        "The release does not cover: dates before the release's range.")
    unknown = call(staff, "post", f"/releases/{release}/disclosures", {"package_kind": "x"})
    assert unknown.status_code == 400 and "package_kind" in unknown.json()
    with schema_context(alpha.practice.schema_name):
        assert Disclosure.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        sent = call(staff, "post", f"/releases/{release}/disclosures",
                    {"package_kind": "progress_report"})
    assert sent.status_code == 201
    body = sent.json()
    assert len(body["code"]) == 8 and body["link"].startswith(f"http://{alpha.host}/shared/")
    assert body["disclosure"]["recipient"] == "Dr Priya Patel, Northside Psychiatry"
    assert body["disclosure"]["downloaded_at"] is None
    assert len(mailbox.messages) == 1 and body["code"] not in str(mailbox.messages[0])
    ledger = call(staff, "get", f"/clients/{people['client']}/disclosures").json()
    assert [row["id"] for row in ledger] == [body["disclosure"]["id"]]
    accounting = call(people["http"]["client"], "get",
                      f"/clients/{people['client']}/accounting-of-disclosures").json()
    assert [(row["recipient"], row["part2"]) for row in accounting["disclosures"]] == [
        ("Dr Priya Patel, Northside Psychiatry", False)]
    assert (accounting["years"], accounting["part2_years"]) == (6, 3)
    with schema_context(alpha.practice.schema_name):
        assert Disclosure.objects.count() == 1
        assert AuditEvent.objects.filter(action="disclosure.made").count() == 1
        assert list(AuditEvent.objects.filter(action="disclosure.accounting_viewed")
                    .order_by("pk").values_list("detail__api", "detail__format")) == [
            ("ledger", None), (None, "api")]


def test_drafting_a_release_through_the_api(alpha, people) -> None:
    staff = people["http"]["owner"]
    created = call(staff, "post", f"/clients/{people['client']}/releases", _draft_body())
    assert created.status_code == 201
    data = created.json()
    assert (data["status"], data["kinds"], data["refusal"]) == (
        "awaiting", ["documents", "scores"], "The release is not signed.")
    no_expiry = call(staff, "post", f"/clients/{people['client']}/releases",
                     {**_draft_body(), "expires_on": None})
    assert no_expiry.status_code == 400 and no_expiry.json() == {
        "detail": "Give an expiry date or the event that ends the release."}
    unknown_kind = call(staff, "post", f"/clients/{people['client']}/releases",
                        {**_draft_body(), "kinds": ["everything"]})
    assert unknown_kind.status_code == 400 and "kinds" in unknown_kind.json()
    with schema_context(alpha.practice.schema_name):
        assert Release.objects.filter(status="awaiting").count() == 1
        assert AuditEvent.objects.filter(action="release.created",
                                         object_id=str(data["id"])).count() == 1


def test_a_part2_refusal_lists_the_missing_elements(alpha, people) -> None:
    from practice.disclosure import services
    with schema_context(alpha.practice.schema_name):
        services.part2_setting_update(is_part2_program=True, actor=Actor.of(alpha.owner))
        consent = signed(alpha, kinds=["scores"], instrument_keys=["auditc"],
                         is_part2_consent=True).pk
    refused = call(people["http"]["owner"], "post", f"/releases/{consent}/disclosures",
                   {"package_kind": "fhir_bundle"})
    assert refused.status_code == 409 and refused.json() == {
        "detail": "The Part 2 consent lacks: a specific description of the information.",
        "missing": ["a specific description of the information"]}
    read = call(people["http"]["owner"], "get", f"/releases/{consent}").json()
    assert read["missing_part2_elements"] == ["a specific description of the information"]
    with schema_context(alpha.practice.schema_name):
        assert Disclosure.objects.count() == 0


def test_lists_run_a_fixed_number_of_queries(alpha, people) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.disclosure.helpers import send
    staff = people["http"]["clinician"]
    paths = [f"/clients/{people['client']}/releases", f"/clients/{people['client']}/disclosures",
             f"/clients/{people['client']}/accounting-of-disclosures"]

    def counts() -> list[int]:
        found = []
        for path in paths:
            with CaptureQueriesContext(connection) as queries:
                assert call(staff, "get", path).status_code == 200
            found.append(len(queries))
        return found

    with schema_context(alpha.practice.schema_name):
        send(alpha, Release.objects.get(pk=people["release"]))
    first = counts()
    with schema_context(alpha.practice.schema_name):
        for _ in range(3):
            send(alpha, signed(alpha))
    assert counts() == first
