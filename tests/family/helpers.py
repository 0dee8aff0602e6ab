"""Proxies as an accepted invitation leaves them (for the family tests and the access matrix).
Call inside the practice's schema."""

from __future__ import annotations

from django.utils import timezone

from practice.family.models import ProxyAccount, ProxyConsentAcceptance, ProxyLink, ProxyTier
from practice.family.policies import PROXY_CONSENT
from tenants.accounts.models import Role, User
from tests.conftest import PASSWORD


def proxy_linked(client: User, *, email: str, tier_key: str, relationship: str = "parent",
                 proxy: User | None = None) -> User:
    """A proxy (made if not given) with an accepted link to `client` in the tier."""
    if proxy is None:
        proxy = User.objects.create_user(email, PASSWORD, full_name="Pat Parent",
                                         role=Role.PROXY)
        ProxyAccount.objects.create(user=proxy)
        ProxyConsentAcceptance.objects.create(user=proxy, version=PROXY_CONSENT.version)
    ProxyLink.objects.create(proxy=proxy, client=client, relationship=relationship,
                             tier=ProxyTier.objects.get(key=tier_key), invited_by=client,
                             accepted_at=timezone.now())
    return proxy
