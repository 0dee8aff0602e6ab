"""42 CFR Part 2: records tagged by kind and by hand leave only through `disclose` with a
complete Part 2 consent (the missing elements listed), each package carries the §2.32 notice and
the consent, counseling notes need their own consent, proxies see no Part 2 record without a
consent naming them, the whole-practice export marks Part 2 records, the tags are audited."""

from __future__ import annotations

import ast
import io
import zipfile
from pathlib import Path

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from practice.disclosure import packages, policies, selectors, services
from practice.disclosure.models import Disclosure, DisclosureLink
from practice.measurement.models import Response
from tenants.actor import Actor
from tenants.audit.models import AuditEvent
from tests.disclosure.helpers import (
    draft,
    give_documents,
    give_messages,
    prepare,
    send,
    signed,
    unzip,
)
from tests.formbuilder.helpers import pdf_text

PART2 = {"is_part2_consent": True, "discloser": "Alpha Therapy SUD program",
         "information_description": "AUDIT-C and PHQ-9 scores from January 2026",
         "kinds": ["scores"], "instrument_keys": ["phq9", "auditc"]}


def _part2_on(world) -> None:  # type: ignore[no-untyped-def]
    services.part2_setting_update(is_part2_program=True, actor=Actor.of(world.owner))


def test_missing_elements_are_listed_in_order() -> None:
    terms = policies.ConsentTerms(
        patient_name="Chris", discloser="", information_description="", recipient="Dr P",
        purpose="", revocation_statement="You may revoke", expires_on=None, expiry_event="",
        signed_name="", signed_at=None)
    assert policies.missing_part2_elements(terms) == [
        "who may make the disclosure", "a specific description of the information",
        "the purpose of the disclosure", "an expiry date, event or condition",
        "the patient's signature", "the date signed"]


def test_sud_instruments_are_part2_only_when_the_practice_says_so(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        audit_c = set(Response.objects.filter(instrument_key="auditc")
                      .values_list("pk", flat=True))
        assert selectors.part2_records(alpha.client) == frozenset()
        _part2_on(alpha)
        assert selectors.part2_records(alpha.client) == {("response", pk) for pk in audit_c}
        assert AuditEvent.objects.filter(action="disclosure.part_two_setting_changed").count() == 1


def _part2_document_records(world) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """A shared file and a completed form; the form is tagged Part 2 by hand."""
    _document_id, form_id = give_documents(world)
    services.part2_tag(client_id=world.client.pk, kind="form", object_id=form_id,
                       actor=Actor.of(world.clinician))
    return {"kinds": ["documents"], "instrument_keys": []}


def _part2_message_records(world) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """A thread written inside an episode marked as SUD treatment: its messages are Part 2."""
    from practice.outcomes.models import Episode

    episode = Episode.objects.create(client=world.client, clinician=world.clinician,
                                     started_at=timezone.now() - timezone.timedelta(days=3))
    services.part2_tag(client_id=world.client.pk, kind="episode", object_id=episode.pk,
                       actor=Actor.of(world.clinician))
    give_messages(world)
    return {"kinds": ["messages"], "instrument_keys": []}


def _part2_scores(world) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The AUDIT-C answers of `prepare` are Part 2 by kind."""
    return {"kinds": ["scores"], "instrument_keys": ["phq9", "auditc"]}


# For each package kind: the Part 2 records it carries and the release scope that covers them.
# A new package kind must be added here, or the next test fails.
PART2_RECORDS_FOR = {
    "progress_report": _part2_scores,
    "fhir_bundle": _part2_scores,
    "documents": _part2_document_records,
    "message_threads": _part2_message_records,
}


def test_the_property_covers_every_package_kind() -> None:
    assert set(PART2_RECORDS_FOR) == set(policies.PACKAGE_KINDS)


@pytest.mark.parametrize("package_kind", sorted(policies.PACKAGE_KINDS))
def test_every_package_with_part2_records_needs_a_complete_part2_consent(
        alpha, package_kind, monkeypatch, media_root) -> None:
    """The property: for each kind of outbound package, a Part 2 record in it is refused
    without a covering Part 2 consent, passes with one (notice and consent inside), and fails
    when the gate fails."""
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        _part2_on(alpha)
        scope = PART2_RECORDS_FOR[package_kind](alpha)
        ordinary = signed(alpha, **scope)
        with pytest.raises(services.DisclosureRefused, match="42 CFR part 2"):
            send(alpha, ordinary, package_kind)
        incomplete = signed(alpha, **{**PART2, **scope, "discloser": " ",
                                      "information_description": ""})
        # The practice's name fills "who may disclose" when left blank; the description not.
        with pytest.raises(services.DisclosureRefused) as refused:
            send(alpha, incomplete, package_kind)
        assert refused.value.missing == ["a specific description of the information"]
        consent = signed(alpha, **{**PART2, **scope})
        delivered = send(alpha, consent, package_kind)
        files = unzip(services.link_open(token=delivered.token, code=delivered.code,
                                         now=timezone.now()).body)
        assert files["NOTICE-42-CFR-PART-2.txt"].decode().startswith(
            "42 CFR part 2 prohibits unauthorized use or disclosure of these records.")
        release_text = " ".join(pdf_text(files["release.pdf"]).split())
        assert "42 CFR part 2 prohibits unauthorized use" in release_text
        assert "AUDIT-C and PHQ-9 scores from January 2026" in release_text
        pdfs = [name for name in files if name.endswith(".pdf") and name != "release.pdf"
                and not name.startswith(("forms/", "files/"))]
        if package_kind != "fhir_bundle":  # the bundle carries it as a security label
            assert len(pdfs) == 1
            assert "42 CFR part 2 prohibits unauthorized use" in " ".join(
                pdf_text(files[pdfs[0]]).split())
        assert Disclosure.objects.get().contains_part2 is True
        # The same package, with the gate failing, is never built nor recorded.

        def failing_gate(**_kwargs):  # type: ignore[no-untyped-def]
            raise services.DisclosureRefused("gate says no")

        monkeypatch.setattr(services, "_gate", failing_gate)
        with pytest.raises(services.DisclosureRefused, match="gate says no"):
            send(alpha, consent, package_kind)
        assert Disclosure.objects.count() == 1 and DisclosureLink.objects.count() == 1


def test_no_package_is_built_without_the_gate(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        release = signed(alpha)
        plan = policies.PackagePlan(package_kind="progress_report",
                                    scope=selectors.release_scope(release))
        forged = packages.Cleared(release=release, plan=plan, key=object())
        from tests.disclosure.helpers import context
        for kind in policies.PACKAGE_KINDS:
            with pytest.raises(PermissionError):
                packages.build(packages.Cleared(release=release, plan=policies.PackagePlan(
                    package_kind=kind, scope=plan.scope), key=forged.key), context(alpha))


def test_only_disclose_builds_outbound_packages() -> None:
    """No module outside practice/disclosure reaches the package builders or makes a link:
    `disclose` is the only path out (the client's own view and the owner's export aside)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in root.glob("**/*.py"):
        relative = path.relative_to(root).as_posix()
        if relative.startswith((".venv/", "tests/", "practice/disclosure/")) or \
                "/migrations/" in relative:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and (
                    node.module == "practice.disclosure.packages"
                    or (node.module == "practice.disclosure" and any(
                        alias.name == "packages" for alias in node.names))):
                offenders.append(relative)
            if isinstance(node, ast.Name) and node.id == "DisclosureLink":
                offenders.append(relative)
    assert offenders == []


def test_counseling_notes_need_their_own_consent(alpha) -> None:
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        with pytest.raises(services.DisclosureError, match="consent of their own"):
            draft(alpha, kinds=["scores", "sud_counseling_notes"])
        notes = draft(alpha, kinds=["sud_counseling_notes"], instrument_keys=[],
                      information_description="Counseling notes of March")
        assert notes.is_part2_consent and notes.covers_counseling_notes
        general = signed(alpha, **PART2)
        scope = policies.Scope(kinds=frozenset({"sud_counseling_notes"}))
        with pytest.raises(services.DisclosureRefused):
            send(alpha, general, scope=scope)


def test_an_episode_marked_sud_makes_its_records_part2_and_hides_them_from_proxies(
        alpha) -> None:
    from practice.outcomes.models import Episode
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        _part2_on(alpha)
        episode = Episode.objects.create(client=alpha.client, clinician=alpha.clinician,
                                         started_at=timezone.now() - timezone.timedelta(
                                             days=400))
        services.part2_tag(client_id=alpha.client.pk, kind="episode", object_id=episode.pk,
                           actor=Actor.of(alpha.clinician))
        records = selectors.part2_records(alpha.client)
        assert {kind for kind, _ in records} == {"episode", "response"}
        assert len(records) == 1 + 5  # every response inside the episode
        proxy = alpha.front_desk  # stands for a proxy's account (the proxy half adds the role)
        today = timezone.localdate()
        assert selectors.hidden_from_proxy(alpha.client.pk, proxy.pk, today) == records
        signed(alpha, **PART2, named_proxy_id=proxy.pk)
        assert selectors.hidden_from_proxy(alpha.client.pk, proxy.pk, today) == frozenset()
        assert selectors.hidden_from_proxy(alpha.client.pk, alpha.billing.pk, today) == records
        tags = AuditEvent.objects.filter(action="disclosure.part_two_tagged")
        assert list(tags.values_list("object_type", "object_id")) == [
            ("episode", str(episode.pk))]
        # A record of another client cannot be tagged for this one.
        with pytest.raises(services.DisclosureError):
            services.part2_tag(client_id=alpha.client.pk, kind="episode", object_id=987654,
                               actor=Actor.of(alpha.clinician))


def test_the_whole_practice_export_marks_part2_records(alpha) -> None:
    from practice.outcomes.export import write_archive
    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        _part2_on(alpha)
        target = io.BytesIO()
        write_archive(target, practice_name="Alpha", base_url="https://a.example/",
                      requested_by="Olivia", now=timezone.now(), progress=lambda *_: None)
        archive = zipfile.ZipFile(target)
        dictionary = archive.read("data-dictionary.csv").decode()
        assert "records/practice_response.csv,response,id,AutoField" in dictionary or \
            ",some\r\n" in dictionary
        lines = [line for line in dictionary.splitlines()
                 if line.startswith("records/practice_response.csv")]
        assert lines and all(line.endswith(",some") for line in lines)
        assert all(line.endswith(",none") for line in dictionary.splitlines()
                   if line.startswith("records/practice_goal.csv"))
        part2 = archive.read("part2-records.csv").decode().splitlines()
        assert part2[0] == "file,id,client_id" and len(part2) == 1 + 2  # the two AUDIT-C


def test_a_proxy_never_sees_a_part2_goal_without_a_part2_consent_naming_them(alpha) -> None:
    """Wired end to end: a goal the clinician made shareable, set inside an episode marked as
    SUD treatment in a Part 2 program, is not on the parent's goals page or API answer until the
    client signs a Part 2 consent naming that parent; a goal outside the episode always is."""
    from practice.care.models import Goal
    from practice.family.models import ClientAgeFacts, FamilySettings, ItemMark
    from practice.outcomes.models import Episode
    from tests.family.helpers import proxy_linked

    with schema_context(alpha.practice.schema_name):
        prepare(alpha)
        _part2_on(alpha)
        FamilySettings.objects.create(self_consent_age=16)
        ClientAgeFacts.objects.create(client=alpha.client, birth_date=timezone.localdate()
                                      - timezone.timedelta(days=12 * 366))  # twelve
        parent = proxy_linked(alpha.client, email="parent@example.org", tier_key="progress")
        episode = Episode.objects.create(client=alpha.client, clinician=alpha.clinician,
                                         started_at=timezone.now() - timezone.timedelta(days=30))
        inside = Goal.objects.create(client=alpha.client, title="SUD-CANARY cut down drinking",
                                     created_by=alpha.clinician)
        outside = Goal.objects.create(client=alpha.client, title="Walk the dog",
                                      created_by=alpha.clinician,
                                      created_at=timezone.now() - timezone.timedelta(days=60))
        for goal in (inside, outside):
            ItemMark.objects.create(client=alpha.client, kind="goals", object_id=goal.pk,
                                    mark=ItemMark.Mark.SHAREABLE, marked_by=alpha.clinician)
        services.part2_tag(client_id=alpha.client.pk, kind="episode", object_id=episode.pk,
                           actor=Actor.of(alpha.clinician))
    http = alpha.http(parent)
    page = f"/family/{alpha.client.pk}/goals/"
    api = f"/api/v1/family/clients/{alpha.client.pk}/goals"
    assert "Walk the dog" in http.get(page).content.decode()
    assert "SUD-CANARY" not in http.get(page).content.decode()
    assert "SUD-CANARY" not in http.get(api).content.decode()
    assert "Walk the dog" in http.get(api).content.decode()
    with schema_context(alpha.practice.schema_name):
        signed(alpha, **PART2, named_proxy_id=parent.pk)
    assert "SUD-CANARY" in http.get(page).content.decode()
    assert "SUD-CANARY" in http.get(api).content.decode()
