"""The packages `disclose` sends: the client progress report (practice.outcomes.pdf), the
FHIR bundle of measure results (practice.measurement.fhir), the client's documents (forms as
their PDF, files as stored, an index) or their message threads (a PDF), narrowed to what the
release covers, together with a copy of the release (and, for Part 2 records, the §2.32 notice),
in one zip. Deterministic: the same records, release and moment give the same bytes, so the ledger's
hash identifies the package.

Every builder takes a `Cleared` value, which only `services._gate` makes after checking the
release, the restrictions and Part 2 consent: a package cannot be built by a path that skipped
the checks (tests/disclosure/test_only_path.py)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from branding.pdf import BrandedPdf, logo_png_for
from branding.values import Branding
from practice.care.models import Goal
from practice.disclosure import package_records, policies
from practice.disclosure.models import Release
from practice.disclosure.selectors import RecordRef, release_recipient, signature_words
from practice.documents.models import Document
from practice.formbuilder.pdf import form_pdf
from practice.formbuilder.seal import sha256_hex
from practice.measurement.fhir import client_results_bundle
from practice.measurement.models import Response
from practice.outcomes import client_selectors
from practice.outcomes.pdf import Provenance, Sections, progress_pdf
from tenants.accounts.models import User

EARLIEST = datetime(2000, 1, 1)


@dataclass(frozen=True)
class Cleared:
    """Proof that a request passed the gate: made by services._gate only."""

    release: Release
    plan: policies.PackagePlan
    key: object


@dataclass(frozen=True)
class Package:
    filename: str
    content_type: str
    body: bytes
    description: str


class PackageError(Exception):
    """The package cannot be built as asked (a stored file missing, too large): nothing is
    sent; `disclose` refuses with this message."""


@dataclass(frozen=True)
class Content:
    """What a builder puts in the zip beside the release copy: files (name, bytes), a title
    for the ledger, and the items listed in the manifest."""

    files: list[tuple[str, bytes]]
    title: str
    items: list[dict[str, object]] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    branding: Branding
    base_url: str
    now: datetime
    zone: ZoneInfo
    generated_by: str


def _bounds(scope: policies.Scope, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
    start = datetime.combine(scope.start or EARLIEST.date(), time.min, tzinfo=zone)
    end = (datetime.combine(scope.end + timedelta(days=1), time.min, tzinfo=zone)
           if scope.end else None)
    return start, end


def responses_in_scope(client: User, scope: policies.Scope, zone: ZoneInfo
                       ) -> QuerySet[Response]:
    if policies.SCORES not in scope.kinds:
        return Response.objects.none()
    start, end = _bounds(scope, zone)
    responses = Response.objects.filter(client=client, status=Response.Status.SUBMITTED,
                                        instrument_key__in=scope.instrument_keys,
                                        submitted_at__gte=start)
    return responses.filter(submitted_at__lt=end) if end else responses


def window_of(scope: policies.Scope, zone: ZoneInfo) -> package_records.Window:
    start, end = _bounds(scope, zone)
    return package_records.Window(start=start, end=end)


def records_in(client: User, plan: policies.PackagePlan, zone: ZoneInfo) -> frozenset[RecordRef]:
    """Every record the package will hold, as (kind, id): what the Part 2 check looks at."""
    found: set[RecordRef] = {("response", pk) for pk in responses_in_scope(
        client, plan.scope, zone).values_list("pk", flat=True)}
    if plan.package_kind == policies.PROGRESS_REPORT and policies.GOALS in plan.scope.kinds:
        found |= {("goal", pk) for pk in Goal.objects.filter(client=client)
                  .values_list("pk", flat=True)}
    window = window_of(plan.scope, zone)
    if plan.package_kind == policies.DOCUMENTS_PACKAGE and policies.DOCUMENTS in plan.scope.kinds:
        found |= {("form", pk) for pk in package_records.forms_in(client, window)
                  .values_list("pk", flat=True)}
        found |= {("document", pk) for pk in package_records.files_in(client, window)
                  .values_list("pk", flat=True)}
    if plan.package_kind == policies.MESSAGES_PACKAGE and policies.MESSAGES in plan.scope.kinds:
        found |= {("message", pk) for pk in package_records.messages_in(client, window)
                  .values_list("pk", flat=True)}
    return frozenset(found)


def _progress_report(cleared: Cleared, context: Context, notice: str) -> Content:
    client, scope = cleared.release.client, cleared.plan.scope
    start, end = _bounds(scope, context.zone)
    window = client_selectors.client_window(client, start=start, end=end, now=context.now)
    wanted = scope.instrument_keys if policies.SCORES in scope.kinds else frozenset()
    window.series[:] = [series for series in window.series if series.instrument_key in wanted]
    body = progress_pdf(window=window, episode=None, branding=context.branding,
                        provenance=Provenance(context.generated_by, context.now, context.zone),
                        sections=Sections(notice=notice,
                                          include_goals=policies.GOALS in scope.kinds,
                                          include_engagement=policies.ENGAGEMENT in scope.kinds))
    return Content(files=[("progress-report.pdf", body)], title="Client progress report")


def _fhir_bundle(cleared: Cleared, context: Context, notice: str) -> Content:
    client = cleared.release.client
    body = client_results_bundle(
        client=client, base_url=context.base_url, now=context.now,
        responses=responses_in_scope(client, cleared.plan.scope, context.zone),
        security_labels=("42CFRPart2",) if notice else ())
    return Content(files=[("results.fhir.json", body.encode("utf-8"))],
                   title="Measure results (FHIR R4)")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _file_bytes(document: Document) -> bytes:
    try:
        with document.file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise PackageError(f"The stored file of document {document.pk} is missing; "
                           "nothing was sent.") from None


def _documents(cleared: Cleared, context: Context, notice: str) -> Content:
    client = cleared.release.client
    window = window_of(cleared.plan.scope, context.zone)
    forms = list(package_records.forms_in(client, window))
    files = list(package_records.files_in(client, window))
    if sum(document.size for document in files) > policies.MAX_PACKAGE_BYTES:
        raise PackageError("These files are too large to send in one package; narrow the "
                           "date range.")
    entries: list[tuple[str, bytes]] = []
    rows: list[package_records.IndexRow] = []
    for assignment in forms:
        name = f"forms/form-{assignment.pk}.pdf"
        body = form_pdf(assignment, context.branding)
        entries.append((name, body))
        rows.append(package_records.IndexRow(
            name=name, kind=assignment.get_status_display(), title=assignment.title,
            when=assignment.submitted_at, sha256=sha256_hex(body)))
    for document in files:
        name = f"files/{document.pk}-{document.display_name}"
        body = _file_bytes(document)
        entries.append((name, body))
        rows.append(package_records.IndexRow(
            name=name, kind=document.get_source_display(), title=document.note or
            document.display_name, when=document.created_at, sha256=sha256_hex(body)))
    index = package_records.documents_index_pdf(client=client, rows=rows,
                                                branding=context.branding, now=context.now,
                                                zone=context.zone, notice=notice)
    items: list[dict[str, object]] = [{"file": row.name, "sha256": row.sha256,
              "date": row.when.isoformat() if row.when else None} for row in rows]
    return Content(files=[("documents-index.pdf", index), *entries],
                   title=f"Documents ({_count(len(forms), 'form')}, "
                         f"{_count(len(files), 'file')})", items=items)


def _message_threads(cleared: Cleared, context: Context, notice: str) -> Content:
    client = cleared.release.client
    messages = list(package_records.messages_in(client, window_of(cleared.plan.scope,
                                                                  context.zone)))
    body = package_records.messages_pdf(client=client, messages=messages,
                                        branding=context.branding, now=context.now,
                                        zone=context.zone, notice=notice)
    threads = len({message.conversation_id for message in messages})
    return Content(files=[("message-threads.pdf", body)],
                   title=f"Message threads ({_count(threads, 'thread')}, "
                         f"{_count(len(messages), 'message')})",
                   items=[{"thread": message.conversation_id, "message": message.pk}
                          for message in messages])


BUILDERS: dict[str, Callable[[Cleared, Context, str], Content]] = {
    policies.PROGRESS_REPORT: _progress_report,
    policies.FHIR_BUNDLE: _fhir_bundle,
    policies.DOCUMENTS_PACKAGE: _documents,
    policies.MESSAGES_PACKAGE: _message_threads,
}


def _day(value: date | None) -> str:
    return f"{value:%-d %B %Y}" if value else ""


def release_pdf(release: Release, *, branding: Branding, created_at: datetime,
                notice: str = "") -> bytes:
    """The copy of the release (or Part 2 consent) that travels with each package."""
    title = "Consent to disclose (42 CFR part 2)" if release.is_part2_consent else \
        "Authorisation to release information"
    pdf = BrandedPdf(branding=branding, title=title, created_at=created_at,
                     logo_png=logo_png_for(branding))
    pdf.title_block(title, f"Release #{release.pk}")
    if notice:
        pdf.heading("Notice")
        pdf.paragraph(notice)
    scope_words = ", ".join(str(policies.SCOPE_KINDS.get(kind, kind)) for kind in release.kinds)
    facts = [("Client", release.client.full_name),
             ("Who may disclose", release.discloser or branding.display_name),
             ("Recipient", release_recipient(release)),
             ("What may be shared", scope_words),
             ("Instruments", ", ".join(release.instrument_keys) or "none"),
             ("Dates covered", f"{_day(release.covers_from) or 'any'} to "
                               f"{_day(release.covers_to) or 'any'}"),
             ("Purpose", release.purpose),
             ("Expires", _day(release.expires_on) or release.expiry_event)]
    if release.information_description:
        facts.append(("Description of the information", release.information_description))
    pdf.facts(facts)
    if release.revocation_statement:
        pdf.paragraph(release.revocation_statement)
    if release.signed_at:
        pdf.heading("Signature")
        pdf.facts([("Signed by", signature_words(release)),
                   ("Signed on", f"{release.signed_at:%-d %B %Y %H:%M} UTC"),
                   ("Seal (SHA-256)", release.content_sha256)])
    if release.revoked_at:
        pdf.paragraph(f"Revoked on {release.revoked_at:%-d %B %Y}.")
    return pdf.to_bytes()


def _zip_entry(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build(cleared: Cleared, context: Context) -> Package:
    """The package for a cleared request: the content, the release copy, the notice."""
    if not isinstance(cleared, Cleared) or cleared.key is not _GATE_KEY:
        raise PermissionError("A package is built only for a request the gate cleared.")
    plan = cleared.plan
    notice = policies.PART2_NOTICE if plan.part2_ids else ""
    content = BUILDERS[plan.package_kind](cleared, context, notice)
    release_copy = release_pdf(cleared.release, branding=context.branding,
                               created_at=context.now, notice=notice)
    manifest = {"release": cleared.release.pk, "package": plan.package_kind,
                "kinds": sorted(plan.scope.kinds),
                "instruments": sorted(plan.scope.instrument_keys)
                if policies.SCORES in plan.scope.kinds else [],
                "from": plan.scope.start.isoformat() if plan.scope.start else None,
                "to": plan.scope.end.isoformat() if plan.scope.end else None,
                "generated_at": context.now.isoformat(),
                "contains_42_cfr_part_2_records": bool(plan.part2_ids),
                "items": content.items}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if notice:
            _zip_entry(archive, "NOTICE-42-CFR-PART-2.txt", (notice + "\n").encode("utf-8"))
        for name, data in content.files:
            _zip_entry(archive, name, data)
        _zip_entry(archive, "release.pdf", release_copy)
        _zip_entry(archive, "manifest.json",
                   json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8"))
    description = content.title
    if plan.scope.start or plan.scope.end:
        description += f", {_day(plan.scope.start) or 'start'} to {_day(plan.scope.end) or 'now'}"
    return Package(filename="records.zip", content_type="application/zip",
                   body=out.getvalue(), description=description)


# The key only the gate holds (services imports it; nothing else should).
_GATE_KEY = object()
