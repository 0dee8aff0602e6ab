"""Writes of releases, Part 2 tags and restrictions, and `disclose`: the one path by which a
client's records leave the practice (other than the client's own view and the owner's
whole-practice export).

Staff reach a client only through practice.access (Capability.DISCLOSE; a client out of reach
raises User.DoesNotExist, like a missing one). Every write leaves an audit row in its
transaction, with ids and flags only."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from branding.selectors import branding_for
from config.emails import send_branded_email
from practice.access import Capability, client_in_reach, holds
from practice.care.models import Goal
from practice.disclosure import packages, policies, selectors
from practice.disclosure.models import (
    Disclosure,
    DisclosureLink,
    Part2Settings,
    Part2Tag,
    Release,
    Restriction,
)
from practice.documents.models import Document
from practice.family.selectors import proxy_signs_for
from practice.formbuilder.models import FormAssignment
from practice.formbuilder.seal import canonical_json, sha256_hex
from practice.formbuilder.services import consent_wording
from practice.formbuilder.signature_image import DrawingError, png_from_data_url
from practice.measurement.models import Response
from practice.measurement.services import client_timezone
from practice.messaging.models import Message
from practice.outcomes.models import Episode
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.refusals import Invalid

MAX_TYPED_NAME = 150
SEAL_FORMAT = "tandem-release/1"


class DisclosureError(Invalid):
    """A request the service refuses, with a message for the person who made it (answered as
    400 by the API, like every tenants.refusals refusal)."""


class DisclosureRefused(DisclosureError):
    """`disclose` refused: nothing was built, sent or written. `missing` lists the §2.31
    elements a Part 2 consent lacks, when that is the reason. Answered 409 (the release as it
    stands does not allow it), on the pages and in the API."""

    status = 409

    def __init__(self, message: str, missing: list[str] | None = None) -> None:
        super().__init__(message)
        self.missing = missing or []


def _audit(action: Action, actor: User | None, object_type: str, object_id: Any,
           meta: RequestMeta | None, **detail: Any) -> None:
    audit_record(action=action, actor=actor, object_type=object_type, object_id=object_id,
                 meta=meta, detail=detail)


def _require(user: User, capability: Capability) -> None:
    if not holds(user, capability):
        raise PermissionError("Not allowed.")


# --- the Part 2 setting, tags and restrictions -------------------------------------------------

@transaction.atomic
def part2_setting_update(*, is_part2_program: bool, actor: Actor) -> Part2Settings:
    _require(actor.person, Capability.MANAGE_PRACTICE)
    settings_row, _created = Part2Settings.objects.select_for_update().get_or_create(pk=1)
    if settings_row.is_part2_program != is_part2_program:
        settings_row.is_part2_program = is_part2_program
        settings_row.updated_at = timezone.now()
        settings_row.updated_by = actor.user
        settings_row.save()
        _audit(Action.DISCLOSURE_PART2_SETTING_CHANGED, actor.user, "practice", 1, actor.meta,
               is_part2_program=is_part2_program)
    return settings_row


_TAGGABLE = {
    "response": lambda client: Response.objects.filter(client=client),
    "goal": lambda client: Goal.objects.filter(client=client),
    "document": lambda client: Document.objects.filter(client=client),
    "form": lambda client: FormAssignment.objects.filter(client=client),
    "message": lambda client: Message.objects.filter(conversation__client=client),
    "episode": lambda client: Episode.objects.filter(client=client),
}


@transaction.atomic
def part2_tag(*, client_id: int, kind: str, object_id: int, actor: Actor) -> Part2Tag:
    """Tag one record of the client Part 2 by hand (an episode: marked as SUD treatment)."""
    client = client_in_reach(actor.person, Capability.DISCLOSE, client_id)
    if kind not in _TAGGABLE or not _TAGGABLE[kind](client).filter(pk=object_id).exists():
        raise DisclosureError(_("That record is not this client's."))
    tag = Part2Tag.objects.filter(kind=kind, object_id=object_id,
                                  removed_at__isnull=True).first()
    if tag is None:
        tag = Part2Tag.objects.create(client=client, kind=kind, object_id=object_id,
                                      tagged_by=actor.person)
        _audit(Action.DISCLOSURE_PART2_TAGGED, actor.user, kind, object_id, actor.meta,
               client_id=client.pk, tag_id=tag.pk)
    return tag


@transaction.atomic
def part2_untag(*, client_id: int, tag_id: int, actor: Actor) -> None:
    client = client_in_reach(actor.person, Capability.DISCLOSE, client_id)
    tag = Part2Tag.objects.select_for_update().filter(
        client=client, pk=tag_id, removed_at__isnull=True).first()
    if tag is None:
        raise DisclosureError(_("That tag is not there any more."))
    tag.removed_at = timezone.now()
    tag.save(update_fields=["removed_at"])
    _audit(Action.DISCLOSURE_PART2_UNTAGGED, actor.user, tag.kind, tag.object_id, actor.meta,
           client_id=client.pk, tag_id=tag.pk)


@transaction.atomic
def restriction_record(*, client_id: int, recipient_match: str, kinds: list[str],
                       instrument_keys: list[str], note: str, actor: Actor) -> Restriction:
    """Record a restriction the client asked for (§2.26); `disclose` honours it."""
    client = client_in_reach(actor.person, Capability.DISCLOSE, client_id)
    if set(kinds) - set(policies.SCOPE_KINDS):
        raise DisclosureError(_("Unknown kind of record."))
    restriction = Restriction.objects.create(
        client=client, recipient_match=recipient_match.strip()[:200], kinds=sorted(set(kinds)),
        instrument_keys=sorted(set(instrument_keys)), note=note.strip()[:300],
        recorded_by=actor.person)
    _audit(Action.DISCLOSURE_RESTRICTION_RECORDED, actor.user, "restriction", restriction.pk,
           actor.meta, client_id=client.pk)
    return restriction


@transaction.atomic
def restriction_lift(*, client_id: int, restriction_id: int, actor: Actor) -> None:
    client = client_in_reach(actor.person, Capability.DISCLOSE, client_id)
    restriction = Restriction.objects.select_for_update().filter(
        client=client, pk=restriction_id, lifted_at__isnull=True).first()
    if restriction is None:
        raise DisclosureError(_("That restriction is not in force."))
    restriction.lifted_at = timezone.now()
    restriction.save(update_fields=["lifted_at"])
    _audit(Action.DISCLOSURE_RESTRICTION_LIFTED, actor.user, "restriction", restriction.pk,
           actor.meta, client_id=client.pk)


# --- releases ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReleaseDraft:
    recipient_name: str
    purpose: str
    kinds: list[str]
    instrument_keys: list[str]
    recipient_organisation: str = ""
    recipient_email: str = ""
    recipient_phone: str = ""
    covers_from: date | None = None
    covers_to: date | None = None
    expires_on: date | None = None
    expiry_event: str = ""
    is_part2_consent: bool = False
    discloser: str = ""
    information_description: str = ""
    named_proxy_id: int | None = None


@transaction.atomic
def release_create(*, client_id: int, draft: ReleaseDraft, practice_name: str,
                   actor: Actor) -> Release:
    """Draft a release for the client to sign in the portal."""
    client = client_in_reach(actor.person, Capability.DISCLOSE, client_id)
    scope = policies.Scope(kinds=frozenset(draft.kinds),
                           instrument_keys=frozenset(draft.instrument_keys),
                           start=draft.covers_from, end=draft.covers_to)
    problems = policies.scope_problems(scope)
    if not draft.recipient_name.strip():
        problems.append(_("Name the recipient."))
    if not draft.purpose.strip():
        problems.append(_("Say what the information is for."))
    if draft.expires_on is None and not draft.expiry_event.strip():
        problems.append(_("Give an expiry date or the event that ends the release."))
    if draft.expires_on is not None and draft.expires_on <= timezone.localdate():
        problems.append(_("The expiry date must be in the future."))
    if problems:
        raise DisclosureError(" ".join(str(problem) for problem in problems))
    counseling = policies.COUNSELING_NOTES in scope.kinds
    release = Release.objects.create(
        client=client, recipient_name=draft.recipient_name.strip(),
        recipient_organisation=draft.recipient_organisation.strip(),
        recipient_email=draft.recipient_email.strip(),
        recipient_phone=draft.recipient_phone.strip(),
        kinds=sorted(scope.kinds),
        instrument_keys=sorted(scope.instrument_keys) if policies.SCORES in scope.kinds else [],
        covers_from=draft.covers_from, covers_to=draft.covers_to, purpose=draft.purpose.strip(),
        expires_on=draft.expires_on, expiry_event=draft.expiry_event.strip(),
        is_part2_consent=draft.is_part2_consent or counseling,
        discloser=(draft.discloser.strip() or practice_name) if (
            draft.is_part2_consent or counseling) else "",
        information_description=draft.information_description.strip(),
        covers_counseling_notes=counseling, named_proxy_id=draft.named_proxy_id,
        revocation_statement=policies.revocation_wording(), created_by=actor.person)
    _audit(Action.RELEASE_CREATED, actor.user, "release", release.pk, actor.meta,
           client_id=client.pk, part2=release.is_part2_consent, kinds=release.kinds)
    return release


def sealed_content(release: Release, *, typed_name: str, consent_text: str,
                   drawn_sha256: str, signed_at: datetime,
                   representative: dict[str, Any] | None = None) -> bytes:
    """The exact terms signed, in canonical JSON (as a signed form's seal); a representative's
    signature also seals who they are and their relationship to the client."""
    signature: dict[str, Any] = {
        "typed_name": typed_name, "consent": consent_text,
        "drawn_sha256": drawn_sha256 or None,
        "signed_at": signed_at.isoformat(timespec="microseconds")}
    if representative is not None:
        signature["representative"] = representative
    return canonical_json({
        "format": SEAL_FORMAT,
        "release": release.pk, "client": release.client_id,
        "recipient": {"name": release.recipient_name,
                      "organisation": release.recipient_organisation,
                      "email": release.recipient_email, "phone": release.recipient_phone},
        "kinds": release.kinds, "instruments": release.instrument_keys,
        "from": release.covers_from.isoformat() if release.covers_from else None,
        "to": release.covers_to.isoformat() if release.covers_to else None,
        "purpose": release.purpose,
        "expires_on": release.expires_on.isoformat() if release.expires_on else None,
        "expiry_event": release.expiry_event,
        "part2": release.is_part2_consent, "discloser": release.discloser,
        "information": release.information_description,
        "counseling_notes": release.covers_counseling_notes,
        "named_proxy": release.named_proxy_id,
        "revocation": release.revocation_statement,
        "signature": signature,
    })


@dataclass(frozen=True)
class Signing:
    """What a signer gives: the typed name, the consent to sign electronically, a drawn mark."""

    typed_name: str
    consent: bool
    drawn: str = ""


@dataclass(frozen=True)
class Representative:
    """A proxy signing as the client's personal representative: the link's relationship."""

    relationship: str


def _signed(release: Release, signing: Signing, *, actor: Actor,
            representative: Representative | None = None) -> Release:
    """Seal and sign (the client's or their representative's signature alike; the seal names a
    representative, so a client's seal stays as it always was)."""
    if not signing.consent:
        raise DisclosureError(_("Tick the box to agree to sign electronically."))
    name = " ".join((signing.typed_name or "").split())
    if not name:
        raise DisclosureError(_("Type your full name to sign."))
    if len(name) > MAX_TYPED_NAME:
        raise DisclosureError(_("Your name is too long; use at most 150 characters."))
    try:
        png = png_from_data_url(signing.drawn)
    except DrawingError as error:
        raise DisclosureError(str(error)) from None
    signed_at = timezone.now()
    consent_text = consent_wording()
    # The right to revoke in the words the signer read (their language), sealed with the rest.
    release.revocation_statement = policies.revocation_wording()
    drawn_sha256 = sha256_hex(png) if png else ""
    release.content_sha256 = sha256_hex(sealed_content(
        release, typed_name=name, consent_text=consent_text, drawn_sha256=drawn_sha256,
        signed_at=signed_at, representative=(
            {"user": actor.person.pk, "relationship": representative.relationship}
            if representative else None)))
    release.signer, release.signed_name, release.signed_at = actor.user, name, signed_at
    release.signed_as_representative = representative is not None
    release.signer_relationship = representative.relationship if representative else ""
    release.signature_consent_text, release.drawn_png = consent_text, png
    release.drawn_sha256, release.signed_ip = drawn_sha256, actor.meta.ip_address
    release.status = Release.Status.SIGNED
    release.save()
    _audit(Action.RELEASE_SIGNED, actor.user, "release", release.pk, actor.meta,
           seal=release.content_sha256, drawn=png is not None,
           representative=representative is not None)
    return release


@transaction.atomic
def release_sign(*, release_id: int, typed_name: str, consent: bool, drawn: str = "",
                 actor: Actor) -> Release:
    """The client signs a release in the portal: consent to sign electronically, a typed name,
    an optional drawn mark; sealed like a signed form (practice.formbuilder.seal)."""
    release = Release.objects.select_for_update().select_related("client").filter(
        pk=release_id, client=actor.person).first() if actor.person.is_client else None
    if release is None:
        raise Release.DoesNotExist
    if not selectors.may_sign_release(release, actor.person):
        raise DisclosureError(_("This release cannot be signed now."))
    return _signed(release, Signing(typed_name, consent, drawn), actor=actor)


def _for_client_as_proxy(*, proxy: User, client_id: int, release_id: int, practice: Any,
                         today: date | None) -> tuple[Release, str]:
    """The release a proxy acts on for the client, locked, with the link's relationship:
    through practice.family's one rule (link in force, tier with "releases", client below the
    age). Anything else raises Release.DoesNotExist: the same 404 as a missing release."""
    try:
        link = proxy_signs_for(proxy=proxy, client_id=client_id, practice=practice,
                               today=today)
    except User.DoesNotExist:
        raise Release.DoesNotExist from None
    release = Release.objects.select_for_update().select_related("client").filter(
        pk=release_id, client_id=link.client_id).first()
    if release is None:
        raise Release.DoesNotExist
    if release.is_part2_consent:
        # 42 CFR 2.14: a minor's Part 2 consent is the minor's own; a representative never
        # gives it alone (views do not even show a proxy that one exists).
        raise DisclosureError(_("A consent to share substance use treatment records (42 CFR "
                                "part 2) can only be signed or revoked by the person "
                                "themself, never by a family member."))
    return release, link.relationship


@transaction.atomic
def release_sign_for_client(*, client_id: int, release_id: int, signing: Signing,
                            actor: Actor, today: date | None = None) -> Release:
    """A proxy signs a release for a young client, as their personal representative (the same
    e-signature, wording, seal and audit as the client's), recorded as such with the
    relationship."""
    release, relationship = _for_client_as_proxy(proxy=actor.person, client_id=client_id,
                                                 release_id=release_id, practice=actor.practice,
                                                 today=today)
    if not selectors.may_sign_for_client(release, actor.person):
        raise DisclosureError(_("This release cannot be signed now."))
    return _signed(release, signing, actor=actor, representative=Representative(relationship))


def _revoked(release: Release, *, actor: Actor) -> Release:
    if release.status not in (Release.Status.SIGNED, Release.Status.AWAITING_SIGNATURE):
        raise DisclosureError(_("This release is no longer in force."))
    signed = release.status == Release.Status.SIGNED
    release.status = Release.Status.REVOKED if signed else Release.Status.WITHDRAWN
    release.revoked_at, release.revoked_by = timezone.now(), actor.user
    release.save(update_fields=["status", "revoked_at", "revoked_by"])
    _audit(Action.RELEASE_REVOKED if signed else Action.RELEASE_WITHDRAWN, actor.user,
           "release", release.pk, actor.meta, client_id=release.client_id)
    return release


@transaction.atomic
def release_revoke(*, release_id: int, actor: Actor) -> Release:
    """Revoke (a signed release) or withdraw (one not yet signed). The client revokes their
    own; staff record a revocation the client made to them. Stops future disclosures only."""
    if actor.person.is_client:
        client = actor.user
    else:
        release_client = Release.objects.filter(pk=release_id).values_list(
            "client_id", flat=True).first()
        if release_client is None:
            raise Release.DoesNotExist
        try:
            client = client_in_reach(actor.person, Capability.DISCLOSE, release_client)
        except User.DoesNotExist:
            raise Release.DoesNotExist from None
    release = Release.objects.select_for_update().filter(pk=release_id, client=client).first()
    if release is None:
        raise Release.DoesNotExist
    return _revoked(release, actor=actor)


@transaction.atomic
def release_revoke_for_client(*, client_id: int, release_id: int, actor: Actor,
                              today: date | None = None) -> Release:
    """A proxy revokes (or declines, before signing) a young client's release, under the same
    rule as signing one."""
    release, _relationship = _for_client_as_proxy(proxy=actor.person, client_id=client_id,
                                                  release_id=release_id, practice=actor.practice,
                                                  today=today)
    return _revoked(release, actor=actor)


# --- disclose ----------------------------------------------------------------------------------

def package_context(*, base_url: str, actor: Actor) -> packages.Context:
    """What a package is built with when staff send it now (pages and API alike)."""
    return packages.Context(branding=branding_for(actor.in_practice), base_url=base_url,
                            now=timezone.now(), zone=ZoneInfo("UTC"),
                            generated_by=actor.person.full_name)


@dataclass(frozen=True)
class Delivered:
    disclosure: Disclosure
    token: str  # goes in the link (random; no PHI)
    code: str  # given to the recipient separately; shown once to the staff member


def _gate(*, release: Release, plan: policies.PackagePlan, today: date) -> packages.Cleared:
    """The checks every package passes before it is built: a valid release covering exactly
    what is sent, the client's restrictions, and for Part 2 records a complete Part 2 consent
    (and a specific one for counseling notes). Raises DisclosureRefused."""
    refusal = policies.release_refusal(selectors.release_state(release), today)
    if refusal:
        raise DisclosureRefused(refusal)
    scope = plan.scope
    if not scope.kinds:
        raise DisclosureRefused(_("Nothing to send: the request names no kind of record."))
    if scope.kinds - policies.PACKAGE_CARRIES[plan.package_kind]:
        raise DisclosureRefused(_("This package cannot carry what was asked for."))
    gaps = policies.uncovered(scope, selectors.release_scope(release))
    if gaps:
        raise DisclosureRefused(_("The release does not cover: %(gaps)s.")
                                % {"gaps": "; ".join(gaps)})
    if policies.COUNSELING_NOTES in scope.kinds and not release.covers_counseling_notes:
        raise DisclosureRefused(_("SUD counseling notes need their own specific consent."))
    recipient = selectors.release_recipient(release)
    for restriction in selectors.active_restrictions(release.client):
        if policies.restriction_hits(selectors.restriction_terms(restriction),
                                     recipient=recipient, request=scope):
            raise DisclosureRefused(_("The client asked to restrict this disclosure "
                                      "(restriction #%(id)s).") % {"id": restriction.pk})
    if plan.part2_ids:
        if not release.is_part2_consent:
            raise DisclosureRefused(_("These records are protected by 42 CFR part 2: they "
                                      "leave only with the client's Part 2 consent."))
        missing = policies.missing_part2_elements(selectors.consent_terms(release))
        if missing:
            raise DisclosureRefused(_("The Part 2 consent lacks: %(missing)s.")
                                    % {"missing": "; ".join(missing)}, missing=missing)
    return packages.Cleared(release=release, plan=plan, key=packages._GATE_KEY)


def _code_hash(token: str, code: str) -> str:
    return salted_hmac("disclosure-code", f"{token}:{code}").hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@transaction.atomic
def disclose(*, release_id: int, package_kind: str, actor: Actor,
             context: packages.Context, scope: policies.Scope | None = None,
             link_url: str = "") -> Delivered:
    """Send a package to the release's recipient: check (the gate), build, write the ledger
    row, make the expiring single-use link with its one-time code, and email the link (never
    the code) to the recipient. `scope` defaults to everything the release covers that the
    package can carry. `link_url` is the download page's address without the token."""
    _require(actor.person, Capability.DISCLOSE)
    release_client = Release.objects.filter(pk=release_id).values_list(
        "client_id", flat=True).first()
    if release_client is None:
        raise Release.DoesNotExist
    try:
        client = client_in_reach(actor.person, Capability.DISCLOSE, release_client)
    except User.DoesNotExist:
        raise Release.DoesNotExist from None
    release = Release.objects.select_for_update().select_related("client").get(
        pk=release_id, client=client)
    if package_kind not in policies.PACKAGE_KINDS:
        raise DisclosureRefused(_("Unknown kind of package."))
    if scope is None:
        scope = selectors.package_scope(release, package_kind)
    # The release's dates are the client's calendar days: the records checked and the records
    # built are chosen in the same zone, so nothing at a day's edge skips the Part 2 check.
    zone = ZoneInfo(client_timezone(client))
    context = replace(context, zone=zone)
    plan = policies.PackagePlan(package_kind=package_kind, scope=scope)
    held = packages.records_in(client, plan, zone)
    plan = policies.PackagePlan(package_kind=package_kind, scope=scope,
                                part2_ids=held & selectors.part2_records(client))
    cleared = _gate(release=release, plan=plan, today=context.now.astimezone(zone).date())
    try:
        package = packages.build(cleared, context)
    except packages.PackageError as error:
        raise DisclosureRefused(str(error)) from None
    digest = sha256_hex(package.body)
    disclosure = Disclosure.objects.create(
        client=client, release=release, disclosed_at=context.now,
        recipient=selectors.release_recipient(release)[:360],
        description=package.description[:500], purpose=release.purpose,
        channel=Disclosure.Channel.DOWNLOAD_LINK, package_kind=package_kind,
        package_sha256=digest, contains_part2=bool(plan.part2_ids), disclosed_by=actor.person)
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(policies.CODE_ALPHABET) for _ in range(policies.CODE_LENGTH))
    DisclosureLink.objects.create(
        disclosure=disclosure, token_sha256=_token_hash(token), code_hash=_code_hash(token, code),
        filename=package.filename, content_type=package.content_type, package=package.body,
        expires_at=context.now + policies.LINK_LIFETIME)
    _audit(Action.DISCLOSURE_MADE, actor.user, "disclosure", disclosure.pk, actor.meta,
           client_id=client.pk, release_id=release.pk, package=package_kind,
           part2=bool(plan.part2_ids), sha256=digest)
    if release.recipient_email and link_url:
        email, url, branding = release.recipient_email, f"{link_url}{token}/", context.branding
        transaction.on_commit(lambda: send_branded_email(
            branding=branding, to=email, subject=_("Records shared with you"),
            template="disclosure/email/link", context={"url": url,
                                                       "days": policies.LINK_LIFETIME.days}))
    return Delivered(disclosure=disclosure, token=token, code=code)


# --- the recipient's link ----------------------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    """What a code attempt gave: the file, or nothing (and never why, beyond "not valid")."""

    filename: str = ""
    content_type: str = ""
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return bool(self.body)


def link_exists(token: str, now: datetime) -> DisclosureLink | None:
    """The link, if it can still be opened (unused, unexpired, not locked); audited."""
    link = DisclosureLink.objects.filter(token_sha256=_token_hash(token)).first()
    usable = link is not None and link.used_at is None and link.expires_at > now \
        and link.failed_attempts < policies.MAX_WRONG_CODES
    return link if usable else None


@transaction.atomic
def link_view_record(*, token: str, now: datetime, meta: RequestMeta | None = None) -> bool:
    """Audit a visit of the download page; whether the link can still be opened."""
    link = DisclosureLink.objects.filter(token_sha256=_token_hash(token)).first()
    usable = link_exists(token, now) is not None
    if link is not None:
        _audit(Action.DISCLOSURE_LINK_VIEWED, None, "disclosure", link.disclosure_id, meta,
               usable=usable)
    return usable


@transaction.atomic
def link_open(*, token: str, code: str, now: datetime,
              meta: RequestMeta | None = None) -> Opened:
    """The recipient enters the one-time code: the package once, then never again. A wrong
    code counts; after policies.MAX_WRONG_CODES the link is dead. Audited either way."""
    link = DisclosureLink.objects.select_for_update().filter(
        token_sha256=_token_hash(token)).first()
    if link is None:
        return Opened()
    usable = (link.used_at is None and link.expires_at > now
              and link.failed_attempts < policies.MAX_WRONG_CODES)
    right = constant_time_compare(link.code_hash,
                                  _code_hash(token, policies.normalise_code(code)))
    if not (usable and right):
        if usable:
            link.failed_attempts += 1
            link.save(update_fields=["failed_attempts"])
        _audit(Action.DISCLOSURE_CODE_REFUSED, None, "disclosure", link.disclosure_id, meta,
               usable=usable, attempts=link.failed_attempts)
        return Opened()
    body = bytes(link.package)
    link.used_at, link.package = now, b""
    link.save(update_fields=["used_at", "package"])
    _audit(Action.DISCLOSURE_DOWNLOADED, None, "disclosure", link.disclosure_id, meta,
           sha256=sha256_hex(body))
    return Opened(filename=link.filename, content_type=link.content_type, body=body)


@transaction.atomic
def links_purge(*, now: datetime) -> int:
    """Drop the bytes of packages whose link expired unused (the ledger keeps their hash)."""
    return DisclosureLink.objects.filter(expires_at__lte=now, used_at__isnull=True).exclude(
        package=b"").update(package=b"")
