"""Sign-in security for a practice's people: optional TOTP with recovery codes (django-otp), the
owner's "require MFA for all staff", and ending sessions everywhere.

What the middleware needs on every request is kept in the session at sign-in (is a second step
due, which consent version was accepted, which modules the client sees), so a page costs no
extra query for it.
"""

from __future__ import annotations

import base64
import time
from io import BytesIO
from urllib.parse import quote

import segno
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.consent import current_consent
from portal.invitations import (
    client_visible_modules,
    consent_version_accepted,
    sessions_end_for_user,
)
from portal.models import PracticeSecurity
from portal.selectors import client_language
from practice.access import Capability, holds
from tenants.accounts.models import User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.db import connection
from tenants.requests import SignedInRequest

RECOVERY_CODE_COUNT = 10
SESSION_LOGIN_AT = "_tandem_login_at"
SESSION_LAST_SEEN = "_tandem_last_seen"
SESSION_MFA_PENDING = "_tandem_mfa_pending"
SESSION_CONSENT_VERSION = "_tandem_consent_version"
SESSION_MODULES = "_tandem_modules"
SESSION_STAFF_MFA = "_tandem_staff_mfa"
SESSION_LANGUAGE = "_tandem_language"


def in_practice_schema() -> bool:
    return connection.schema_name not in ("public", getattr(settings, "TENANT_BASE_SCHEMA", ""))


# --- session facts, set at sign-in -----------------------------------------------------------

def session_start(request: HttpRequest, user: User) -> None:
    """Called when `user` signs in on this request's session."""
    now = int(time.time())
    request.session[SESSION_LOGIN_AT] = now
    request.session[SESSION_LAST_SEEN] = now
    if not in_practice_schema():
        return
    request.session[SESSION_MFA_PENDING] = user_has_device(user, confirmed=True)
    if user.is_practice_staff:
        request.session[SESSION_STAFF_MFA] = _staff_mfa_rule_stored()
    if user.is_client:
        request.session[SESSION_CONSENT_VERSION] = consent_version_accepted(user)
        request.session[SESSION_MODULES] = client_visible_modules(user)
        request.session[SESSION_LANGUAGE] = client_language(user)


def consent_is_current(request: SignedInRequest) -> bool:
    """Has the signed-in client accepted the consent text now in force? Remembered in the
    session once true, so a page costs no query for it; a new version asks again. Every client
    account is asked, whoever made it (an invitation, an import, a script)."""
    version = current_consent().version
    if request.session.get(SESSION_CONSENT_VERSION) == version:
        return True
    accepted = consent_version_accepted(request.user)
    if accepted is not None and accepted >= version:
        request.session[SESSION_CONSENT_VERSION] = version
        return True
    return False


# --- the practice's rule ---------------------------------------------------------------------

def _security_cache_key() -> str:
    return "portal:practice-security"  # the cache's key function adds the schema


def _staff_mfa_rule_stored() -> bool:
    row = PracticeSecurity.objects.filter(singleton=True).first()
    return bool(row and row.require_staff_mfa)


def staff_mfa_required(request: HttpRequest | None = None) -> bool:
    """The owner's rule. The cache holds it (set whenever it changes); should the cache have
    lost it, the value read at this session's sign-in stands in, so a page costs no query."""
    cached = cache.get(_security_cache_key())
    if cached is not None:
        return bool(cached)
    if request is not None and SESSION_STAFF_MFA in request.session:
        return bool(request.session[SESSION_STAFF_MFA])
    stored = _staff_mfa_rule_stored()
    cache.set(_security_cache_key(), stored, timeout=None)
    return stored


@transaction.atomic
def practice_security_update(*, require_staff_mfa: bool, actor: Actor) -> PracticeSecurity:
    if not holds(actor.person, Capability.MANAGE_PRACTICE):
        raise PermissionError("Only the practice owner changes sign-in rules.")
    row, _ = PracticeSecurity.objects.select_for_update().get_or_create(singleton=True)
    previous = row.require_staff_mfa
    row.require_staff_mfa = require_staff_mfa
    row.save()
    audit_record(action=Action.PRACTICE_SECURITY_CHANGED, actor=actor,
                 object_type="practice_security", object_id=row.pk,
                 detail={"require_staff_mfa": {"from": previous, "to": require_staff_mfa}})
    # Once committed, the new rule holds for every session at once.
    transaction.on_commit(
        lambda: cache.set(_security_cache_key(), require_staff_mfa, timeout=None))
    return row


# --- MFA --------------------------------------------------------------------------------------

def mfa_is_on(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_pending_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator the user is enrolling (made on first ask)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def totp_uri(device: TOTPDevice, *, issuer: str) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    label = quote(f"{issuer}:{device.user.email}", safe="")
    return (f"otpauth://totp/{label}?secret={secret}&issuer={quote(issuer, safe='')}"
            f"&digits={device.digits}&period={device.step}")


def totp_secret_text(device: TOTPDevice) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[index:index + 4] for index in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice, *, issuer: str) -> str:
    """The provisioning URI as an inline SVG QR code, drawn on the server."""
    buffer = BytesIO()
    segno.make(totp_uri(device, issuer=issuer), error="m").save(
        buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
        title=gettext("QR code for your authenticator app"))
    return buffer.getvalue().decode()


@transaction.atomic
def mfa_enable(*, user: User, token: str, meta: RequestMeta | None = None) -> list[str] | None:
    """Confirm the pending authenticator with a code from it. Returns the recovery codes (shown
    once), or None when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip().replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save()
    codes = _recovery_codes_replace(user)
    audit_record(action=Action.AUTH_MFA_ENABLED, actor=user, object_type="user", object_id=user.pk,
                 meta=meta)
    return codes


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=code) for code in codes])
    return codes


@transaction.atomic
def mfa_disable(*, user: User, meta: RequestMeta | None = None) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit_record(action=Action.AUTH_MFA_DISABLED, actor=user, object_type="user", object_id=user.pk,
                 meta=meta)


# --- sessions ---------------------------------------------------------------------------------

@transaction.atomic
def sessions_end_everywhere(*, user: User, meta: RequestMeta | None = None) -> int:
    """End every session of `user` in this practice, this one included."""
    ended = sessions_end_for_user(user.pk)
    audit_record(action=Action.AUTH_SIGNED_OUT_EVERYWHERE, actor=user, object_type="user",
                 object_id=user.pk, meta=meta, detail={"sessions_ended": ended})
    return ended
