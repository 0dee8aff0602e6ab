"""Reads of releases, Part 2 tags, restrictions and the ledger. Pure reads; callers decide who
may ask (practice.access)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Model, Q, QuerySet

from practice.care.models import Goal
from practice.disclosure import policies
from practice.disclosure.models import (
    Disclosure,
    Part2Settings,
    Part2Tag,
    Release,
    Restriction,
)
from practice.documents.models import Document
from practice.formbuilder.models import FormAssignment
from practice.measurement.models import Response
from practice.messaging.models import Message
from practice.outcomes.models import Episode
from tenants.accounts.models import User

RecordRef = tuple[str, int]

# The model of each kind of record a Part 2 tag can name.
PART2_TABLES: dict[str, type[Model]] = {"response": Response, "goal": Goal,
                                        "document": Document, "form": FormAssignment,
                                        "message": Message, "episode": Episode}


def part2_settings() -> Part2Settings:
    """The practice's Part 2 switch (an unsaved default when never set: off)."""
    return Part2Settings.objects.filter(pk=1).first() or Part2Settings(pk=1)


def is_part2_program() -> bool:
    return part2_settings().is_part2_program


def part2_hand_tags(client: User) -> QuerySet[Part2Tag]:
    return Part2Tag.objects.filter(client=client, removed_at__isnull=True)


def sud_episodes(client: User) -> QuerySet[Episode]:
    """The client's episodes marked as SUD treatment."""
    ids = part2_hand_tags(client).filter(kind="episode").values("object_id")
    return Episode.objects.filter(client=client, pk__in=ids)


def episodes_of(client: User) -> QuerySet[Episode]:
    return Episode.objects.filter(client=client).order_by("-started_at", "-pk")


def _in_span(field: str, episodes: list[Episode]) -> Q:
    spans = Q(pk__in=[])
    for episode in episodes:
        span = Q(**{f"{field}__gte": episode.started_at})
        if episode.ended_at is not None:
            span &= Q(**{f"{field}__lte": episode.ended_at})
        spans |= span
    return spans


def part2_records(client: User) -> frozenset[RecordRef]:
    """Every record of `client` that is Part 2, as (kind, id): nothing while the practice is
    not a Part 2 program. By kind: responses to SUD instruments, and the responses, goals,
    documents, forms (by submission) and messages inside an episode marked as SUD treatment;
    by hand: each tag."""
    if not is_part2_program():
        return frozenset()
    found: set[RecordRef] = set()
    sud = Response.objects.filter(client=client,
                                  instrument_key__in=policies.SUD_INSTRUMENT_KEYS)
    found |= {("response", pk) for pk in sud.values_list("pk", flat=True)}
    episodes = list(sud_episodes(client))
    if episodes:
        found |= {("episode", episode.pk) for episode in episodes}
        found |= {("response", pk) for pk in Response.objects.filter(
            _in_span("submitted_at", episodes), client=client).values_list("pk", flat=True)}
        found |= {("goal", pk) for pk in Goal.objects.filter(
            _in_span("created_at", episodes), client=client).values_list("pk", flat=True)}
        found |= {("document", pk) for pk in Document.objects.filter(
            _in_span("created_at", episodes), client=client).values_list("pk", flat=True)}
        found |= {("form", pk) for pk in FormAssignment.objects.filter(
            _in_span("submitted_at", episodes), client=client).values_list("pk", flat=True)}
        found |= {("message", pk) for pk in Message.objects.filter(
            _in_span("created_at", episodes), conversation__client=client
        ).values_list("pk", flat=True)}
    found |= set(part2_hand_tags(client).values_list("kind", "object_id"))
    return frozenset(found)


def release_scope(release: Release) -> policies.Scope:
    return policies.Scope(kinds=frozenset(release.kinds),
                          instrument_keys=frozenset(release.instrument_keys),
                          start=release.covers_from, end=release.covers_to)


def package_scope(release: Release, package_kind: str, *, start: date | None = None,
                  end: date | None = None) -> policies.Scope:
    """What a package of `package_kind` asks for under `release`: the kinds of the release the
    package can carry (all it can carry when the release names none of them, so the gate says
    what is not covered), the release's instruments, and its date range unless narrowed by
    `start`/`end` (a range wider than the release's is refused by the gate, with the reason)."""
    full = release_scope(release)
    carries = policies.PACKAGE_CARRIES[package_kind]
    return policies.Scope(kinds=(full.kinds & carries) or carries,
                          instrument_keys=full.instrument_keys,
                          start=start or full.start, end=end or full.end)


def release_recipient(release: Release) -> str:
    parts = [release.recipient_name, release.recipient_organisation]
    return ", ".join(part for part in parts if part)


def consent_terms(release: Release) -> policies.ConsentTerms:
    return policies.ConsentTerms(
        patient_name=release.client.full_name, discloser=release.discloser,
        information_description=release.information_description,
        recipient=release_recipient(release), purpose=release.purpose,
        revocation_statement=release.revocation_statement, expires_on=release.expires_on,
        expiry_event=release.expiry_event, signed_name=release.signed_name,
        signed_at=release.signed_at)


def release_state(release: Release) -> policies.ReleaseState:
    return policies.ReleaseState(status=release.status, expires_on=release.expires_on)


def releases_for_client(client: User) -> QuerySet[Release]:
    return (Release.objects.filter(client=client).select_related("client", "created_by")
            .order_by("-created_at", "-pk"))


def release_of_client(client: User, release_id: int) -> Release:
    """The release, if it is `client`'s; else Release.DoesNotExist."""
    return releases_for_client(client).get(pk=release_id)


def releases_in_force(client: User, today: date) -> list[Release]:
    return [release for release in releases_for_client(client).filter(
        status=Release.Status.SIGNED)
        if policies.release_refusal(release_state(release), today) is None]


def active_restrictions(client: User) -> QuerySet[Restriction]:
    return Restriction.objects.filter(client=client, lifted_at__isnull=True)


def restriction_terms(restriction: Restriction) -> policies.RestrictionTerms:
    return policies.RestrictionTerms(recipient_match=restriction.recipient_match,
                                     kinds=frozenset(restriction.kinds),
                                     instrument_keys=frozenset(restriction.instrument_keys))


@dataclass(frozen=True)
class Accounting:
    client: User
    since: datetime
    rows: list[Disclosure]


def accounting(client: User, now: datetime) -> Accounting:
    """The accounting of disclosures of `client`: every ledger row of the last six years
    (HIPAA, 45 CFR 164.528). That period holds the three years §2.25 asks for Part 2
    disclosures made with consent; Part 2 rows are marked."""
    since = policies.accounting_since(now, part2=False)
    rows = list(Disclosure.objects.filter(client=client, disclosed_at__gte=since)
                .select_related("release__client", "disclosed_by").order_by("-disclosed_at", "-pk"))
    return Accounting(client=client, since=since, rows=rows)


def ledger_for_client(client: User) -> QuerySet[Disclosure]:
    return (Disclosure.objects.filter(client=client).select_related("release__client", "link")
            .order_by("-disclosed_at", "-pk"))


# --- the proxy half (practice/family) ---------------------------------------------------------

def may_sign_release(release: Release, user: User) -> bool:
    """Whether `user` signs `release` as the client themself. A proxy signs only through
    `may_sign_for_client` (after practice.family's rule: the link, its tier, the age)."""
    return bool(user.is_active and user.is_client and user.pk == release.client_id
                and release.status == Release.Status.AWAITING_SIGNATURE)


def releases_for_proxy(client: User) -> QuerySet[Release]:
    """The client's releases a proxy (their personal representative, practice.family) may be
    shown, to sign or revoke: awaiting a signature or signed, never a 42 CFR Part 2 consent.
    Under 42 CFR 2.14 a minor's Part 2 consent is the minor's own (given by the minor alone,
    or by the minor and the parent together where state law needs the parent's consent to the
    treatment), so a proxy never signs one alone; and the fact of the minor's application for
    treatment may reach the parent only with the minor's written consent (2.14(c)(2)), so a
    proxy is not even shown that one exists."""
    return (releases_for_client(client).filter(is_part2_consent=False, status__in=[
        Release.Status.AWAITING_SIGNATURE, Release.Status.SIGNED]))


def release_client_id(release_id: int) -> int | None:
    """Whose release this is (callers then decide whether the asker reaches that client)."""
    return Release.objects.filter(pk=release_id).values_list("client_id", flat=True).first()


def may_sign_for_client(release: Release, proxy: User) -> bool:
    """Whether a proxy whose link allows signing (practice.family.selectors.proxy_signs_for)
    may sign this release now: awaiting a signature and not a Part 2 consent."""
    return bool(proxy.is_active and proxy.is_proxy and not release.is_part2_consent
                and release.status == Release.Status.AWAITING_SIGNATURE)


def signature_words(release: Release) -> str:
    """Who signed, as every page and PDF says it: the client's typed name, or "<name>
    (<relationship>) for <client>" when a proxy signed as the client's representative."""
    if not release.signed_at:
        return ""
    if release.signed_as_representative:
        return (f"{release.signed_name} ({release.signer_relationship}) for "
                f"{release.client.full_name}")
    return release.signed_name


def hidden_from_proxy(client_id: int, proxy_user_id: int, today: date) -> frozenset[RecordRef]:
    """The Part 2 records of a client that a proxy may not see, as (kind, id): all of them,
    unless a signed Part 2 consent in force names that proxy (Release.named_proxy). Empty when
    the practice is not a Part 2 program. The proxy half filters every page, API answer, email,
    push and PDF it gives a proxy through this (kinds: response, goal, document, message,
    episode)."""
    client = User.objects.filter(pk=client_id).first()
    if client is None:
        return frozenset()
    records = part2_records(client)
    if not records:
        return records
    for release in releases_in_force(client, today):
        if release.is_part2_consent and release.named_proxy_id == proxy_user_id:
            if not policies.missing_part2_elements(consent_terms(release)):
                return frozenset()
    return records
