"""Inviting clients to the portal, accepting with consent, and taking access away.

Staff (owner, clinician, front desk) invite; a clinician invites only clients on their own
caseload and lands on the care team of a client they invite. The emailed link is single use,
lives seven days, and only its hash is stored. Revoking access ends the client's sessions now.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.entitlements import (
    EntitlementError,
    entitlement_check_new_client,
    entitlement_lock,
)
from branding.selectors import branding_for
from config.emails import send_branded_email
from portal.consent import current_consent
from portal.models import ClientAccess, ClientInvitation, ConsentAcceptance
from practice.access import Capability, clients_in_reach, holds, reaches_whole_practice
from practice.models import ClientProfile
from practice.outcomes.services import episode_ensure_open
from tenants.accounts.models import Role, User, email_normalise
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.features import MODULE_KEYS
from tenants.models import Practice
from tenants.selectors import practice_client_url

INVITATION_LIFETIME = timedelta(days=7)
DEFAULT_CLIENT_TIMEZONE = "America/New_York"


class InvitationError(Exception):
    """A refused invitation change; the message is fit to show."""


class InvitationRefused(Exception):
    """An acceptance link that cannot be used: `reason` is unknown, used, revoked or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- selectors --------------------------------------------------------------------------------

def client_access_list(user: User) -> list[tuple[User, PortalState]]:
    """Every client `user` may manage with where their access stands: one query."""
    clients = list(clients_in_reach(user, Capability.CLIENT_ACCESS).select_related("portal_access")
                   .annotate(**{f"link_{field}": _latest_link(field, "pk")
                                for field in ("expires_at", "used_at", "revoked_at")})
                   .order_by("full_name", "pk"))
    return [(client, _state_of(client, getattr(client, "portal_access", None), client))
            for client in clients]


@dataclass(frozen=True)
class PortalState:
    """Where a client's portal access stands, for staff: "not_invited", "invited" (a link is
    open), "expired" (the last link ran out unused), "active" or "revoked"."""

    state: str
    access: ClientAccess | None

    @property
    def may_invite(self) -> bool:
        return self.state in ("not_invited", "invited", "expired", "revoked")

    @property
    def may_revoke(self) -> bool:
        return self.state in ("invited", "expired", "active")


def _latest_link(field: str, user_ref: str) -> Subquery:
    latest = (ClientInvitation.objects.filter(user=OuterRef(user_ref))
              .order_by("-created_at", "-pk").values(field)[:1])
    return Subquery(latest)


def _state_of(client: User, access: ClientAccess | None, link: Any) -> PortalState:
    """`link` carries the latest link's expires_at, used_at and revoked_at as annotations."""
    if access is None:
        # An account made outside the portal's flow: in use if it can sign in.
        return PortalState("active" if client.is_active else "not_invited", None)
    state = access.state
    expires_at = getattr(link, "link_expires_at", None)
    if (state == "invited" and expires_at is not None and expires_at <= timezone.now()
            and getattr(link, "link_used_at", None) is None
            and getattr(link, "link_revoked_at", None) is None):
        state = "expired"
    return PortalState(state, access)


def portal_state(client: User) -> PortalState:
    """One query: the access record with its latest link's expiry and use."""
    access = (ClientAccess.objects.filter(user=client)
              .annotate(**{f"link_{field}": _latest_link(field, "user")
                           for field in ("expires_at", "used_at", "revoked_at")})
              .first())
    return _state_of(client, access, access)


def invitation_by_token(token: str) -> ClientInvitation | None:
    return (ClientInvitation.objects.select_related("user")
            .filter(token_hash=hash_token(token)).first())


def consent_version_accepted(user: User) -> int | None:
    """The highest consent version `user` accepted, or None."""
    row = (ConsentAcceptance.objects.filter(user=user).order_by("-version")
           .values_list("version", flat=True).first())
    return row


def client_visible_modules(user: User) -> list[str] | None:
    """The modules staff chose for this client, or None when no choice was recorded (the
    practice's own set applies)."""
    access = ClientAccess.objects.filter(user=user).only("visible_modules").first()
    return None if access is None else list(access.visible_modules)


# --- entitlement ------------------------------------------------------------------------------

def _entitlement_check_new_client(practice: Practice, *, client: User | None = None) -> None:
    """The plan caps active clients; every open invitation holds a place (the client's own
    earlier link excepted, since a resend replaces it)."""
    entitlement_lock(practice)
    open_links = ClientInvitation.objects.filter(
        used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())
    if client is not None:
        open_links = open_links.exclude(user=client)
    try:
        entitlement_check_new_client(practice, open_invitations=open_links.count())
    except EntitlementError as error:
        raise InvitationError(str(error)) from error


# --- services ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientInvite:
    full_name: str
    email: str
    phone: str
    modules: list[str]


def _require_inviter(acting_user: User) -> None:
    if not holds(acting_user, Capability.CLIENT_ACCESS):
        raise PermissionError("Only clinicians, front desk and owners invite clients.")


def _modules_for(practice: Practice, modules: list[str]) -> list[str]:
    enabled = set(practice.enabled_modules)
    return [key for key in modules if key in MODULE_KEYS and key in enabled]


def email_invitation(*, practice: Practice, to: str, language: str, path: str,
                     template: str) -> None:
    """The invitation email, on commit, in the invited person's language (English until they
    choose), whoever sent it: the practice's name and the link, nothing about anyone's care."""
    url = practice_client_url(practice, path)
    branding = branding_for(practice)

    def send() -> None:
        with translation.override(language):
            send_branded_email(
                branding=branding, to=to,
                subject=_("Your invitation to %(practice)s's portal") % {
                    "practice": branding.display_name},
                template=template,
                context={"link": url, "expires_days": str(INVITATION_LIFETIME.days)})

    transaction.on_commit(send)


def _issue(*, client: User, actor: Actor) -> ClientInvitation:
    """A fresh link for `client`; every earlier open link dies. The email leaves on commit."""
    now = timezone.now()
    ClientInvitation.objects.filter(user=client, used_at__isnull=True,
                                    revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = ClientInvitation.objects.create(
        user=client, token_hash=hash_token(token), invited_by=actor.person,
        expires_at=now + INVITATION_LIFETIME)
    language = (ClientAccess.objects.filter(user=client).values_list("language", flat=True)
                .first() or settings.LANGUAGE_CODE)
    email_invitation(practice=actor.in_practice, to=client.email, language=language,
                     path=f"/portal/invitation/{token}/",
                     template="portal/email/client_invitation")
    return invitation


@transaction.atomic
def client_invite(*, invite: ClientInvite, actor: Actor) -> ClientInvitation:
    """A new client: their account (inactive until they accept), profile and portal access,
    and the emailed link."""
    _require_inviter(actor.person)
    email = email_normalise(invite.email)
    if User.objects.with_email(email).exists():
        raise InvitationError("Someone with this email already has an account in this practice. "
                              "To invite an existing client, use Invite on their row.")
    _entitlement_check_new_client(actor.in_practice)
    client = User(email=email, full_name=invite.full_name.strip(), role=Role.CLIENT,
                  is_active=False)
    client.set_unusable_password()
    client.save()
    profile = ClientProfile.objects.create(user=client, timezone=DEFAULT_CLIENT_TIMEZONE)
    if not reaches_whole_practice(actor.person, Capability.CLIENT_ACCESS):
        # A caseload-bound inviter (a clinician) takes the client on, or could not reach them.
        profile.clinicians.add(actor.person)
    modules = _modules_for(actor.in_practice, invite.modules)
    ClientAccess.objects.create(user=client, visible_modules=modules, phone=invite.phone.strip(),
                                invited_at=timezone.now())
    invitation = _issue(client=client, actor=Actor.of(actor.user, practice=actor.practice))
    episode_ensure_open(client=client, actor=actor)
    audit_record(action=Action.CLIENT_INVITED, actor=actor, object_type="user",
                 object_id=client.pk, detail={"invitation_id": invitation.pk, "modules": modules})
    return invitation


@transaction.atomic
def client_invitation_send(*, client_id: int, actor: Actor,
                           modules: list[str] | None = None) -> ClientInvitation:
    """Invite an existing client, or send a new link (the old one dies). Raises
    User.DoesNotExist for a client outside the acting user's reach."""
    _require_inviter(actor.person)
    reachable = clients_in_reach(actor.person, Capability.CLIENT_ACCESS)
    client = reachable.select_for_update().get(pk=client_id)
    access, _ = ClientAccess.objects.select_for_update().get_or_create(
        user=client, defaults={"visible_modules": list(actor.in_practice.enabled_modules)})
    if client.is_active:
        # Invited clients are inactive until they accept; revoked ones are inactive again.
        raise InvitationError("This client already uses the portal.")
    resend = access.invited_at is not None and access.revoked_at is None
    _entitlement_check_new_client(actor.in_practice, client=client)
    if modules is not None:
        access.visible_modules = _modules_for(actor.in_practice, modules)
    access.invited_at = timezone.now()
    access.revoked_at = None
    access.accepted_at = None
    access.save()
    invitation = _issue(client=client, actor=Actor.of(actor.user, practice=actor.practice))
    # Re-engaging a former client opens a new episode of care (an open one is kept).
    episode_ensure_open(client=client, actor=actor)
    audit_record(action=Action.CLIENT_INVITATION_SENT, actor=actor, object_type="user",
                 object_id=client.pk, detail={"invitation_id": invitation.pk, "resend": resend})
    return invitation


def sessions_end_for_user(user_id: int) -> int:
    """Delete every session of this user in the current practice schema. Returns how many."""
    ended = []
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            ended.append(session.session_key)
    Session.objects.filter(session_key__in=ended).delete()
    return len(ended)


@transaction.atomic
def client_access_revoke(*, client_id: int, actor: Actor) -> User:
    """Take the client's portal access away now: open links die, the account is inactive and
    every session of theirs ends. Nothing they wrote is deleted."""
    _require_inviter(actor.person)
    reachable = clients_in_reach(actor.person, Capability.CLIENT_ACCESS)
    client = reachable.select_for_update().get(pk=client_id)
    now = timezone.now()
    ClientInvitation.objects.filter(user=client, used_at__isnull=True,
                                    revoked_at__isnull=True).update(revoked_at=now)
    access, _ = ClientAccess.objects.get_or_create(user=client)
    access.revoked_at = now
    access.save(update_fields=["revoked_at"])
    client.is_active = False
    client.save(update_fields=["is_active"])
    ended = sessions_end_for_user(client.pk)
    audit_record(action=Action.CLIENT_ACCESS_REVOKED, actor=actor, object_type="user",
                 object_id=client.pk, detail={"sessions_ended": ended})
    return client


@transaction.atomic
def consent_accept(*, user: User, version: int, meta: RequestMeta | None = None
                   ) -> ConsentAcceptance:
    if version != current_consent().version:
        raise InvitationError(_("The consent text changed while you were reading. "
                                "Please read it again."))
    acceptance, created = ConsentAcceptance.objects.get_or_create(user=user, version=version)
    if created:
        audit_record(action=Action.PORTAL_CONSENT_ACCEPTED, actor=user, object_type="consent",
                     object_id=version, meta=meta)
    return acceptance


@transaction.atomic
def client_invitation_accept(*, token: str, password: str, consent_version: int,
                             meta: RequestMeta | None = None) -> User:
    """Set the password, record consent and open the account, all or nothing. Refuses a link
    that is unknown, used, revoked or expired (InvitationRefused)."""
    invitation = (ClientInvitation.objects.select_for_update()
                  .filter(token_hash=hash_token(token)).first())
    if invitation is None:
        raise InvitationRefused("unknown")
    if invitation.status != "open":
        raise InvitationRefused(invitation.status)
    client = User.objects.select_for_update().get(pk=invitation.user_id)
    validate_password(password, user=client)
    client.set_password(password)
    client.is_active = True
    client.save(update_fields=["password", "is_active"])
    now = timezone.now()
    invitation.used_at = now
    invitation.save(update_fields=["used_at"])
    ClientAccess.objects.filter(user=client).update(accepted_at=now, revoked_at=None)
    audit_record(action=Action.CLIENT_INVITATION_ACCEPTED, actor=client, object_type="user",
                 object_id=client.pk, meta=meta, detail={"invitation_id": invitation.pk})
    consent_accept(user=client, version=consent_version, meta=meta)
    return client
