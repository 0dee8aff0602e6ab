"""Writes of the family feature: inviting proxies (the same single-use, expiring, resendable,
revocable link as a client's), accepting with the proxy consent, tiers and overrides, the
client's grants, the clinician's marks, the age rule's daily job, caregiver reports and the
proxy's conversation. Every write is audited in its transaction; emails leave on commit and
carry no PHI (a link and the practice's name)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from branding.selectors import branding_for
from config.emails import send_branded_email
from portal.invitations import (
    INVITATION_LIFETIME,
    email_invitation,
    hash_token,
    sessions_end_for_user,
)
from practice.access import Capability, client_in_reach, holds
from practice.engagement.services import AlertRequest, alerts_raise
from practice.family import policies, selectors
from practice.family.models import (
    CaregiverAssignment,
    CaregiverReport,
    ClientAgeFacts,
    FamilySettings,
    FamilySummary,
    ItemMark,
    ProxyAccount,
    ProxyConsentAcceptance,
    ProxyInvitation,
    ProxyLink,
    ProxyTier,
)
from practice.family.notifications import CAREGIVER_DUE
from practice.measurement import schedule
from practice.measurement.definitions import InstrumentDefinition
from practice.measurement.library import UnknownInstrument
from practice.measurement.models import Alert, Assignment
from practice.measurement.scoring import IncompleteResponse, InvalidAnswers, score
from practice.measurement.selectors import instrument_definition
from practice.messaging import services as messaging_services
from practice.messaging.models import Conversation, Message
from practice.notifications.services import notification_enqueue
from tenants.accounts.models import Role, User, email_normalise
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.models import Practice
from tenants.selectors import practice_client_url


class FamilyError(Exception):
    """A refused change; the message is fit to show."""


class InvitationRefused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _require(user: User, capability: Capability) -> None:
    if not holds(user, capability):
        raise PermissionError(capability.value)


# --- invitations ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProxyInvite:
    full_name: str
    email: str
    relationship: str
    tier_key: str


def _issue(*, link: ProxyLink, actor: Actor) -> ProxyInvitation:
    now = timezone.now()
    ProxyInvitation.objects.filter(link=link, used_at__isnull=True,
                                   revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = ProxyInvitation.objects.create(
        link=link, token_hash=hash_token(token), invited_by=actor.person,
        expires_at=now + INVITATION_LIFETIME)
    # No PHI: neither the client's name nor the relationship, only the practice and a link.
    email_invitation(practice=actor.in_practice, to=link.proxy.email,
                     language=selectors.proxy_account(link.proxy).language
                     or settings.LANGUAGE_CODE,
                     path=f"/family/invitation/{token}/", template="family/email/proxy_invitation")
    return invitation


@transaction.atomic
def proxy_invite(*, client_id: int, invite: ProxyInvite, actor: Actor) -> ProxyInvitation:
    """Link a proxy to a client and email them the link. A new address gets an account
    (inactive until accepted); a proxy already known here (a parent of two) gains a link."""
    _require(actor.person, Capability.CLIENT_ACCESS)
    client = client_in_reach(actor.person, Capability.CLIENT_ACCESS, client_id)
    tier = ProxyTier.objects.filter(key=invite.tier_key).first()
    if tier is None:
        raise FamilyError(_("Choose one of the practice's tiers."))
    if not invite.relationship.strip():
        raise FamilyError(_("Say how this person is related to the client."))
    email = email_normalise(invite.email)
    proxy = User.objects.with_email(email).first()
    if proxy is None:
        proxy = User(email=email, full_name=invite.full_name.strip(), role=Role.PROXY,
                     is_active=False)
        proxy.set_unusable_password()
        proxy.save()
        ProxyAccount.objects.create(user=proxy)
    elif proxy.role != Role.PROXY:
        raise FamilyError(_("Someone with this email already has another kind of account "
                            "here. Use another address for the family member."))
    link, created = ProxyLink.objects.get_or_create(
        proxy=proxy, client=client,
        defaults={"relationship": invite.relationship.strip()[:60], "tier": tier,
                  "invited_by": actor.person})
    if not created:
        if link.state == "active":
            raise FamilyError(_("This person is already linked to this client."))
        link.relationship, link.tier, link.revoked_at = invite.relationship.strip()[:60], tier, None
        link.accepted_at = None
        link.save(update_fields=["relationship", "tier", "revoked_at", "accepted_at"])
    invitation = _issue(link=link, actor=actor)
    audit_record(action=Action.FAMILY_PROXY_INVITED, actor=actor, object_type="proxy_link",
                 object_id=link.pk, detail={"client_id": client.pk, "proxy_id": proxy.pk,
                                            "tier": tier.key,
                         "invitation_id": invitation.pk})
    return invitation


def _staff_link(acting_user: User, link_id: int) -> ProxyLink:
    _require(acting_user, Capability.CLIENT_ACCESS)
    link = ProxyLink.objects.select_related("proxy", "client", "tier").select_for_update(
        of=("self",)).get(pk=link_id)
    client_in_reach(acting_user, Capability.CLIENT_ACCESS, link.client_id)
    return link


@transaction.atomic
def proxy_invitation_resend(*, link_id: int, actor: Actor) -> ProxyInvitation:
    link = _staff_link(actor.person, link_id)
    if link.state != "invited":
        raise FamilyError(_("Only an invitation not yet accepted can be sent again."))
    invitation = _issue(link=link, actor=actor)
    audit_record(action=Action.FAMILY_PROXY_INVITATION_SENT, actor=actor,
                 object_type="proxy_link", object_id=link.pk,
                 detail={"invitation_id": invitation.pk, "resend": True})
    return invitation


@transaction.atomic
def proxy_link_revoke(*, link_id: int, actor: Actor) -> ProxyLink:
    """End one link now: its open links die; a proxy left with no link loses the account's
    access and every session."""
    link = _staff_link(actor.person, link_id)
    now = timezone.now()
    ProxyInvitation.objects.filter(link=link, used_at__isnull=True,
                                   revoked_at__isnull=True).update(revoked_at=now)
    link.revoked_at = now
    link.save(update_fields=["revoked_at"])
    ended = 0
    if not ProxyLink.objects.filter(proxy=link.proxy, revoked_at__isnull=True).exists():
        User.objects.filter(pk=link.proxy_id).update(is_active=False)
        ended = sessions_end_for_user(link.proxy_id)
    audit_record(action=Action.FAMILY_LINK_REVOKED, actor=actor, object_type="proxy_link",
                 object_id=link.pk, detail={"sessions_ended": ended})
    return link


def invitation_by_token(token: str) -> ProxyInvitation | None:
    return (ProxyInvitation.objects.select_related("link__proxy")
            .filter(token_hash=hash_token(token)).first())


@transaction.atomic
def proxy_consent_accept(*, user: User, version: int,
                         meta: RequestMeta | None = None) -> None:
    if version != policies.PROXY_CONSENT.version:
        raise FamilyError(_("The consent text changed while you were reading. Please read it "
                            "again."))
    _row, created = ProxyConsentAcceptance.objects.get_or_create(user=user, version=version)
    if created:
        audit_record(action=Action.FAMILY_CONSENT_ACCEPTED, actor=user, object_type="consent",
                     object_id=version, meta=meta)


@transaction.atomic
def proxy_invitation_accept(*, token: str, password: str, consent_version: int,
                            meta: RequestMeta | None = None) -> User:
    """A new proxy sets their password; one who already has an account here confirms it.
    Consent recorded, link opened, all or nothing."""
    invitation = (ProxyInvitation.objects.select_for_update()
                  .filter(token_hash=hash_token(token)).first())
    if invitation is None:
        raise InvitationRefused("unknown")
    if invitation.status != "open":
        raise InvitationRefused(invitation.status)
    link = ProxyLink.objects.select_for_update().get(pk=invitation.link_id)
    proxy = User.objects.select_for_update().get(pk=link.proxy_id)
    if proxy.is_active and proxy.has_usable_password():
        if not proxy.check_password(password):
            raise ValidationError(_("That is not the password of your account here."))
    else:
        validate_password(password, user=proxy)
        proxy.set_password(password)
        proxy.is_active = True
        proxy.save(update_fields=["password", "is_active"])
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    link.accepted_at, link.revoked_at = now, None
    link.save(update_fields=["accepted_at", "revoked_at"])
    audit_record(action=Action.FAMILY_PROXY_INVITATION_ACCEPTED, actor=proxy,
                 object_type="proxy_link", object_id=link.pk, meta=meta,
                 detail={"invitation_id": invitation.pk})
    proxy_consent_accept(user=proxy, version=consent_version, meta=meta)
    return proxy


# --- tiers, overrides, grants, marks ----------------------------------------------------------

@transaction.atomic
def link_update(*, link_id: int, tier_key: str, added: Iterable[str], removed: Iterable[str],
                actor: Actor) -> ProxyLink:
    """Staff change a link's tier and its per-link overrides (never the client's voice)."""
    link = _staff_link(actor.person, link_id)
    tier = ProxyTier.objects.filter(key=tier_key).first()
    if tier is None:
        raise FamilyError(_("Choose one of the practice's tiers."))
    link.tier = tier
    link.kinds_added = list(policies.tier_kinds_clean(added))
    link.kinds_removed = list(policies.tier_kinds_clean(removed))
    link.save(update_fields=["tier", "kinds_added", "kinds_removed"])
    audit_record(action=Action.FAMILY_LINK_CHANGED, actor=actor, object_type="proxy_link",
                 object_id=link.pk, detail={"tier": tier.key, "added": link.kinds_added,
                         "removed": link.kinds_removed})
    return link


@transaction.atomic
def grants_set(*, client: User, link_id: int, kinds: Iterable[str], today: date | None = None,
               meta: RequestMeta | None = None) -> ProxyLink:
    """The client chooses what one proxy sees (only once they decide for themself)."""
    _require(client, Capability.OWN_RECORD)
    if not selectors.client_decides(client, today=today):
        raise FamilyError(_("Your practice decides what your family sees until you are old "
                            "enough to decide yourself."))
    link = ProxyLink.objects.select_for_update().get(pk=link_id, client=client)
    wanted = set(kinds)
    link.kinds_granted = [kind for kind in policies.GRANTABLE if kind in wanted]
    link.save(update_fields=["kinds_granted"])
    ClientAgeFacts.objects.filter(client=client, answered_at__isnull=True).update(
        answered_at=timezone.now())
    audit_record(action=Action.FAMILY_GRANTS_CHANGED, actor=client, object_type="proxy_link",
                 object_id=link.pk, meta=meta, detail={"kinds": link.kinds_granted})
    return link


@transaction.atomic
def item_mark_set(*, client_id: int, kind: str, object_id: int, mark: str, is_on: bool,
                  actor: Actor) -> None:
    """The clinician marks one item "not for proxies" (or a goal shareable), or unmarks it."""
    client = client_in_reach(actor.person, Capability.CLINICAL_RECORD, client_id)
    if kind not in policies.ALL_KINDS or mark not in ItemMark.Mark.values:
        raise FamilyError(_("Unknown kind of item."))
    if not any(row.object_id == object_id for row in selectors.client_items(client, kind)):
        raise FamilyError(_("No such item in this client's record."))
    rows = ItemMark.objects.filter(client=client, kind=kind, object_id=object_id, mark=mark)
    if is_on:
        ItemMark.objects.get_or_create(client=client, kind=kind, object_id=object_id, mark=mark,
                                       defaults={"marked_by": actor.person})
    else:
        rows.delete()
    audit_record(action=Action.FAMILY_ITEM_MARKED, actor=actor, object_type=kind,
                 object_id=object_id, detail={"client_id": client.pk, "mark": mark, "on": is_on})


@transaction.atomic
def family_summary_save(*, client_id: int, text: str, actor: Actor) -> FamilySummary:
    client = client_in_reach(actor.person, Capability.CLINICAL_RECORD, client_id)
    summary, _created = FamilySummary.objects.update_or_create(
        client=client, defaults={"text": text.strip()[:4000], "updated_by": actor.person,
                                 "updated_at": timezone.now()})
    audit_record(action=Action.FAMILY_SUMMARY_SAVED, actor=actor, object_type="client",
                 object_id=client.pk)
    return summary


@transaction.atomic
def family_settings_update(*, self_consent_age: int | None, disagreement_points: int,
                           tier_kinds: dict[str, list[str]], actor: Actor) -> FamilySettings:
    _require(actor.person, Capability.MANAGE_PRACTICE)
    if self_consent_age is not None and not 8 <= self_consent_age <= 21:
        raise FamilyError(_("The age of self-consent must be between 8 and 21."))
    row, _created = FamilySettings.objects.get_or_create(singleton=True)
    row.self_consent_age = self_consent_age
    row.disagreement_points = disagreement_points
    row.updated_at = timezone.now()
    row.save()
    for tier in ProxyTier.objects.filter(key__in=list(tier_kinds)):
        tier.kinds = list(policies.tier_kinds_clean(tier_kinds[tier.key]))
        tier.save(update_fields=["kinds"])
    audit_record(action=Action.FAMILY_SETTINGS_UPDATED, actor=actor, object_type="practice",
                 object_id=None, detail={"self_consent_age": self_consent_age,
                         "tiers": {key: list(policies.tier_kinds_clean(kinds))
                                   for key, kinds in tier_kinds.items()}})
    return row


@transaction.atomic
def client_age_set(*, client_id: int, birth_date: date | None, self_consent_age: int | None,
                   actor: Actor) -> ClientAgeFacts:
    client = client_in_reach(actor.person, Capability.CLIENT_ACCESS, client_id)
    facts, _created = ClientAgeFacts.objects.get_or_create(client=client)
    facts.birth_date, facts.self_consent_age = birth_date, self_consent_age
    facts.save(update_fields=["birth_date", "self_consent_age"])
    audit_record(action=Action.FAMILY_CLIENT_AGE_SET, actor=actor, object_type="client",
                 object_id=client.pk, detail={"has_birth_date": birth_date is not None,
                         "override": self_consent_age})
    return facts


# --- the age rule: a daily job per practice -----------------------------------------------------

@transaction.atomic
def age_transitions_run(*, practice: Practice, today: date | None = None) -> int:
    """Clients who now decide for themself and were not yet found to: their proxies' views
    shrink to what the client grants (nothing until they answer), the client is asked (on
    their dashboard and by an email without PHI), and it is audited. Idempotent."""
    today = today or timezone.localdate()
    settings_row = selectors.family_settings()
    client_ids = (ProxyLink.objects.filter(revoked_at__isnull=True)
                  .values_list("client_id", flat=True).distinct())
    found = 0
    for client in User.objects.filter(pk__in=client_ids, role=Role.CLIENT):
        if not selectors.client_decides(client, today=today, settings=settings_row):
            continue
        facts, _created = ClientAgeFacts.objects.select_for_update().get_or_create(client=client)
        if facts.decides_since is not None:
            continue
        now = timezone.now()
        facts.decides_since, facts.asked_at = now, now
        facts.save(update_fields=["decides_since", "asked_at"])
        links = ProxyLink.objects.filter(client=client, revoked_at__isnull=True)
        # Nothing is granted on the client's behalf: the view is what they grant.
        links.update(kinds_granted=[])
        audit_record(action=Action.FAMILY_AGE_REACHED, actor=None, actor_role="system",
                     object_type="client", object_id=client.pk,
                     detail={"link_ids": list(links.values_list("pk", flat=True))})
        _ask_client(practice=practice, client=client)
        found += 1
    return found


def _ask_client(*, practice: Practice, client: User) -> None:
    branding = branding_for(practice)
    url = practice_client_url(practice, "/family/sharing/")
    email = client.email

    def send() -> None:
        send_branded_email(branding=branding, to=email,
                           subject=_("A choice for you at %(practice)s") % {
                               "practice": branding.display_name},
                           template="family/email/client_asked", context={"link": url})

    transaction.on_commit(send)


# --- caregiver-reported measures ----------------------------------------------------------------

@dataclass(frozen=True)
class CaregiverSchedule:
    """How often a caregiver questionnaire falls due: the client's assignments' frequencies,
    dates in the proxy's calendar."""

    frequency: str = Assignment.Frequency.ONCE
    starts_on: date | None = None  # None: today
    ends_on: date | None = None


@transaction.atomic
def caregiver_assign(*, link_id: int, instrument_key: str, compare_with: str,
                     actor: Actor, plan: CaregiverSchedule | None = None) -> CaregiverAssignment:
    """Staff who hold the client's clinical record assign a parent-report instrument to the
    proxy about the client, once or on a schedule (practice.measurement.schedule: the same
    occurrences and due moments as a client's own assignments)."""
    plan = plan or CaregiverSchedule()
    link = ProxyLink.objects.select_related("client").get(pk=link_id)
    client_in_reach(actor.person, Capability.CLINICAL_RECORD, link.client_id)
    if link.state == "revoked":
        raise FamilyError(_("This family member's access was revoked."))
    try:
        instrument_definition(instrument_key)
    except UnknownInstrument:
        raise FamilyError(_("No such instrument.")) from None
    if plan.frequency not in Assignment.Frequency.values:
        raise FamilyError(_("Choose how often: once, daily, weekly, every two weeks or "
                            "monthly."))
    starts_on = plan.starts_on or schedule.local_today(
        timezone.now(), selectors.proxy_timezone(link.proxy_id))
    if plan.ends_on is not None and plan.ends_on < starts_on:
        raise FamilyError(_("The end date is before the start date."))
    assignment = CaregiverAssignment.objects.create(
        link=link, instrument_key=instrument_key, compare_with=compare_with,
        frequency=plan.frequency, starts_on=starts_on, ends_on=plan.ends_on,
        assigned_by=actor.person)
    audit_record(action=Action.FAMILY_CAREGIVER_ASSIGNED, actor=actor,
                 object_type="caregiver_assignment", object_id=assignment.pk,
                 detail={"client_id": link.client_id, "instrument": instrument_key,
                         "frequency": plan.frequency})
    return assignment


@transaction.atomic
def caregiver_assignment_end(*, assignment_id: int, actor: Actor) -> CaregiverAssignment:
    assignment = CaregiverAssignment.objects.select_for_update().select_related("link").get(
        pk=assignment_id)
    client_in_reach(actor.person, Capability.CLINICAL_RECORD, assignment.link.client_id)
    if assignment.ended_at is None:
        assignment.ended_at = timezone.now()
        assignment.save(update_fields=["ended_at"])
        audit_record(action=Action.FAMILY_CAREGIVER_ENDED, actor=actor,
                     object_type="caregiver_assignment", object_id=assignment.pk,
                     detail={"client_id": assignment.link.client_id})
    return assignment


# A caregiver questionnaire's reminder is written once its due moment is this close (as a
# client's assessment-due reminder).
CAREGIVER_REMINDER_AHEAD = timedelta(hours=24)


def caregiver_reminders_enqueue(*, now: datetime | None = None) -> int:
    """The periodic job: remind each proxy, once per occurrence, of a caregiver questionnaire
    due within a day and not answered (links in force only). The notice names nothing."""
    now = now or timezone.now()
    links = (ProxyLink.objects.filter(accepted_at__isnull=False, revoked_at__isnull=True,
                                      assignments__ended_at__isnull=True)
             .select_related("proxy").distinct())
    written = 0
    for link in links:
        for due in selectors.caregiver_due(link, now=now):
            if due.due_at > now + CAREGIVER_REMINDER_AHEAD:
                continue
            written += len(notification_enqueue(
                recipient=link.proxy, kind=CAREGIVER_DUE.key,
                idempotency_key=(f"caregiver_due:{due.assignment.pk}:"
                                 f"{due.occurrence_date.isoformat()}"),
                context={"assignment_id": due.assignment.pk,
                         "occurrence": due.occurrence_date.isoformat()}))
    return written


@transaction.atomic
def caregiver_report_submit(*, proxy: User, assignment_id: int, answers: dict[str, Any],
                            now: datetime | None = None,
                            meta: RequestMeta | None = None) -> CaregiverReport:
    """Answer the assignment's occurrence due now (FamilyError if none: one report per
    occurrence), score the answers with the instrument's pinned definition, store them with
    the informant and the occurrence, and raise alerts: on the report's own flags, and when
    the caregiver and the client are further apart than the practice allows."""
    # Locked: two submissions of one occurrence at once make one report and one refusal.
    assignment = (CaregiverAssignment.objects.select_related("link__client")
                  .select_for_update(of=("self",))
                  .get(pk=assignment_id, link__proxy=proxy, ended_at__isnull=True))
    link = selectors.proxy_link(proxy, assignment.link.client_id)
    due = next((row for row in selectors.caregiver_due(link, now=now)
                if row.assignment.pk == assignment.pk), None)
    if due is None:
        raise FamilyError(_("Nothing is due on this questionnaire now."))
    definition = instrument_definition(assignment.instrument_key)
    try:
        result = score(definition, answers)
    except (InvalidAnswers, IncompleteResponse) as error:
        raise FamilyError(_("Please answer every question.")) from error
    total = None if result.total is None else Decimal(str(result.total))
    report = CaregiverReport.objects.create(
        assignment=assignment, client=link.client, informant=proxy,
        relationship=link.relationship, instrument_key=definition.key,
        definition_version=definition.version, answers=answers, total=total,
        band_label=result.band.label if result.band else "",
        flags=[flag.item_key for flag in result.flags],
        occurrence_date=due.occurrence_date, submitted_at=now or timezone.now())
    audit_record(action=Action.FAMILY_CAREGIVER_REPORTED, actor=proxy,
                 object_type="caregiver_report", object_id=report.pk, meta=meta,
                 detail={"client_id": link.client_id, "instrument": definition.key})
    alerts_raise(requests=_caregiver_alerts(report, assignment, definition),
                 actor=Actor.of(proxy, meta=meta))
    return report


def _caregiver_alerts(report: CaregiverReport, assignment: CaregiverAssignment,
                      definition: InstrumentDefinition) -> list[AlertRequest]:
    """The alerts a caregiver's report raises, named by the instruments' titles (as every other
    alert) and the gap in the instrument's points."""
    requests = []
    if report.flags:
        requests.append(AlertRequest(
            client_id=report.client_id, kind=Alert.Kind.CAREGIVER_REPORT,
            severity=Alert.Severity.ROUTINE,
            summary=f"{definition.title}: caregiver report flagged",
            dedupe_key=f"caregiver:{report.pk}"))
    if assignment.compare_with and report.total is not None:
        own = selectors.client_totals(report.client, assignment.compare_with)
        if own and own[-1].total is not None:
            gap = abs(Decimal(own[-1].total) - report.total)
            if gap >= selectors.family_settings().disagreement_points:
                requests.append(AlertRequest(
                    client_id=report.client_id, kind=Alert.Kind.INFORMANT_DISAGREEMENT,
                    severity=Alert.Severity.ROUTINE,
                    summary=(f"{definition.title} vs {_title(assignment.compare_with)}: "
                             f"informants {format(gap.normalize(), 'f')} points apart"),
                    dedupe_key=f"informants:{report.pk}"))
    return requests


def _title(instrument_key: str) -> str:
    try:
        return instrument_definition(instrument_key).title
    except UnknownInstrument:
        return instrument_key


# --- the proxy's conversation and settings -----------------------------------------------------

@transaction.atomic
def proxy_message_send(*, practice: Practice, link_id: int, body: str, author: User,
                       subject: str = "", meta: RequestMeta | None = None) -> Message:
    """A message in the proxy's own conversation with the practice about the client, never the
    client's: secure messaging's conversation with a proxy link (the staff inbox, the policy,
    read receipts, the notices without PHI). The proxy writes only while the link's tier shows
    them messages (the choke point), in their latest open conversation, or starts one where the
    policy lets clients start; staff start one here (the inbox answers in it) only while the
    proxy would see it. Refusals raise FamilyError; out of reach, User.DoesNotExist."""
    link = ProxyLink.objects.select_related("proxy", "client").get(pk=link_id)
    if author.role == Role.PROXY:
        selectors.proxy_sees(proxy=author, client_id=link.client_id,
                             kind=policies.Kind.MESSAGES, practice=practice)
        open_one = (Conversation.objects.filter(proxy_link=link, state=Conversation.State.OPEN)
                    .order_by("-last_message_at", "-pk").first())
    else:
        _require(author, Capability.MESSAGES)
        client_in_reach(author, Capability.CLIENT_ACCESS, link.client_id)
        if policies.Kind.MESSAGES not in selectors.kinds_for_link(link, practice=practice):
            raise FamilyError(_("This family member's access does not include messages."))
        open_one = None
    try:
        if open_one is not None:
            return messaging_services.message_send(
                conversation_id=open_one.pk, body=body, actor=Actor.of(author, practice=practice,
                                                                       meta=meta))
        conversation = messaging_services.proxy_conversation_start(
            proxy_link_id=link.pk, actor=Actor.of(author, practice=practice, meta=meta), body=body,
            subject=subject)
    except messaging_services.MessagingRefused as refused:
        raise FamilyError(str(refused)) from None
    except User.DoesNotExist:
        raise FamilyError(_("The practice's messaging policy does not let you write "
                            "here.")) from None
    return conversation.messages.get()


def proxy_messages_read(*, practice: Practice, link: ProxyLink, proxy: User,
                        meta: RequestMeta | None = None) -> int:
    """The proxy opened their messages: the practice's messages are read by them (receipts)."""
    read = 0
    for conversation_id in Conversation.objects.filter(proxy_link=link).values_list(
            "pk", flat=True):
        read += messaging_services.conversation_read(
            conversation_id=conversation_id, actor=Actor.of(proxy, practice=practice, meta=meta))
    return read


@transaction.atomic
def proxy_settings_update(*, proxy: User, language: str, timezone_name: str,
                          email_notifications: bool) -> ProxyAccount:
    account, _created = ProxyAccount.objects.get_or_create(user=proxy)
    account.language, account.timezone = language, timezone_name
    account.email_notifications = email_notifications
    account.save()
    return account
