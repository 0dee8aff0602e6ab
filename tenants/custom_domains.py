"""A practice's own domain (`portal.riverside-counseling.com`): add, verify, re-verify, remove.

The owner adds a name; Tandem shows two DNS records to create: a CNAME from the name to
`CUSTOM_DOMAIN_TARGET`, and a TXT record at `_tandem-verify.<name>` holding a random token. Both
are looked up with dnspython against `CUSTOM_DOMAIN_RESOLVERS`; when both match, the domain is
verified, routed (it is a `tenants.Domain` row) and becomes the clients' canonical address
(`Practice.custom_domain`). Nothing is served on the name before that, and Caddy's on-demand TLS
gets a yes from `tls_ask_allows` only for verified domains of active practices.

A verified domain is checked again by a daily job; one that stops verifying is flagged (the owner's
settings page and the operator's console show it, an audit event records it) and keeps serving,
never silently dropped. A name is never attached to two practices: `Domain.domain` is unique.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.resolver
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tenants.accounts.models import Role, User
from tenants.actor import Actor
from tenants.audit.services import audit_record
from tenants.models import Domain, Practice, PracticeState

TXT_PREFIX = "_tandem-verify"
TXT_VALUE_PREFIX = "tandem-verify="
MAX_CUSTOM_DOMAINS = 1  # one canonical address per practice

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class CustomDomainError(Exception):
    """Refused; the message is fit to show the owner."""


@dataclass(frozen=True)
class DnsRecord:
    kind: str
    name: str
    value: str


@dataclass(frozen=True)
class DnsCheck:
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def normalise(name: str) -> str:
    return (name or "").strip().lower().rstrip(".")


def domain_problem(name: str) -> str | None:
    """Why `name` cannot be a practice's own domain, or None. Pure."""
    if not name:
        return "Enter a domain name, e.g. portal.your-practice.com."
    if len(name) > 253:
        return "That name is longer than DNS allows (253 characters)."
    if "://" in name or "/" in name or ":" in name:
        return "Enter the name only, without https:// or a path, e.g. portal.your-practice.com."
    labels = name.split(".")
    if len(labels) < 3:
        return ("Use a name under your domain, e.g. portal.your-practice.com: a CNAME cannot "
                "be set on the domain itself.")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return "Use letters, digits and hyphens between the dots only."
    platform = settings.PLATFORM_DOMAIN
    if name == platform or name.endswith("." + platform):
        return "That is one of the platform's own names. Use a name under your own domain."
    return None


def records_for(domain: Domain) -> list[DnsRecord]:
    """The records the owner creates at their DNS provider."""
    return [
        DnsRecord("CNAME", domain.domain, settings.CUSTOM_DOMAIN_TARGET),
        DnsRecord("TXT", f"{TXT_PREFIX}.{domain.domain}",
                  f"{TXT_VALUE_PREFIX}{domain.verification_token}"),
    ]


def _resolver() -> dns.resolver.Resolver:
    configured = settings.CUSTOM_DOMAIN_RESOLVERS
    resolver = dns.resolver.Resolver(configure=not configured)
    if configured:
        resolver.nameservers = []
        ports = {}
        for entry in configured:
            host, _, port = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
            resolver.nameservers.append(host)
            ports[host] = int(port or 53)
        resolver.nameserver_ports = ports
    resolver.lifetime = settings.CUSTOM_DOMAIN_DNS_TIMEOUT
    resolver.timeout = settings.CUSTOM_DOMAIN_DNS_TIMEOUT
    resolver.cache = None
    return resolver


def _answers(resolver: dns.resolver.Resolver, name: str, kind: str) -> list[str] | str:
    """The record texts, or a problem sentence."""
    try:
        answer = resolver.resolve(name, kind, raise_on_no_answer=True)
    except dns.resolver.NXDOMAIN:
        return f"{name} does not exist in DNS yet."
    except dns.resolver.NoAnswer:
        return f"{name} has no {kind} record yet."
    except (dns.exception.Timeout, dns.resolver.NoNameservers):
        return f"DNS did not answer for {name}. Try again in a few minutes."
    except dns.exception.DNSException:
        return f"DNS could not be read for {name}. Try again in a few minutes."
    if kind == "TXT":
        return [b"".join(rdata.strings).decode(errors="replace") for rdata in answer]
    return [rdata.to_text() for rdata in answer]


def dns_check(domain: Domain) -> DnsCheck:
    """Both records as the owner was asked to create them (the CNAME's target, the token)."""
    resolver = _resolver()
    problems: list[str] = []
    target = dns.name.from_text(settings.CUSTOM_DOMAIN_TARGET)
    cnames = _answers(resolver, domain.domain, "CNAME")
    if isinstance(cnames, str):
        problems.append(cnames)
    elif not any(dns.name.from_text(value) == target for value in cnames):
        problems.append(f"The CNAME of {domain.domain} points to {', '.join(cnames)}, "
                        f"not to {settings.CUSTOM_DOMAIN_TARGET}.")
    texts = _answers(resolver, f"{TXT_PREFIX}.{domain.domain}", "TXT")
    expected = f"{TXT_VALUE_PREFIX}{domain.verification_token}"
    if isinstance(texts, str):
        problems.append(texts)
    elif expected not in texts:
        problems.append(f"The TXT record at {TXT_PREFIX}.{domain.domain} does not hold "
                        "this domain's token.")
    return DnsCheck(tuple(problems))


# --- reads --------------------------------------------------------------------------------------

def custom_domain_for(practice: Practice) -> Domain | None:
    return Domain.objects.filter(tenant=practice, is_custom=True).first()


def routed_custom_domain(hostname: str) -> Domain | None:
    """The verified custom domain answering for `hostname`, with its practice (one query)."""
    return (
        Domain.objects.select_related("tenant")
        .filter(domain=hostname, is_custom=True, verified_at__isnull=False).first()
    )


def tls_ask_allows(hostname: str) -> bool:
    """Caddy may get a certificate for this name: a verified domain of an active practice."""
    name = normalise(hostname)
    if not name or domain_problem(name):
        return False
    return Domain.objects.filter(
        domain=name, is_custom=True, verified_at__isnull=False,
        tenant__state=PracticeState.ACTIVE,
    ).exists()


# --- writes -------------------------------------------------------------------------------------

def _require_owner(acting_user: User) -> None:
    if acting_user.role != Role.OWNER or not acting_user.is_active:
        raise PermissionError("Only the practice owner manages its domain.")


TAKEN = "That domain is already in use. If it is yours, contact support."


@transaction.atomic
def custom_domain_add(*, practice_id: int, name: str, actor: Actor) -> Domain:
    _require_owner(actor.person)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    name = normalise(name)
    problem = domain_problem(name)
    if problem:
        raise CustomDomainError(problem)
    if Domain.objects.filter(tenant=practice, is_custom=True).count() >= MAX_CUSTOM_DOMAINS:
        raise CustomDomainError("Your practice already has a domain. Remove it first.")
    if Domain.objects.filter(domain=name).exists():
        raise CustomDomainError(TAKEN)
    try:
        with transaction.atomic():
            domain = Domain.objects.create(
                domain=name, tenant=practice, is_primary=False, is_custom=True,
                verification_token=secrets.token_urlsafe(24), added_at=timezone.now(),
            )
    except IntegrityError as error:  # another practice took it at the same moment
        raise CustomDomainError(TAKEN) from error
    audit_record(action="practice.custom_domain_added", actor=actor,
                 object_type="practice", object_id=practice.pk, detail={"domain": name})
    return domain


@transaction.atomic
def custom_domain_verify(*, practice_id: int, actor: Actor) -> DnsCheck:
    """Look the records up now (the owner's button, or the daily job with no acting user)."""
    if actor.user is not None:
        _require_owner(actor.user)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    domain = Domain.objects.select_for_update().filter(tenant=practice, is_custom=True).first()
    if domain is None:
        raise CustomDomainError("Your practice has no domain of its own yet.")
    check = dns_check(domain)
    now = timezone.now()
    domain.last_checked_at = now
    domain.last_problem = " ".join(check.problems)[:300]
    action = ""
    if check.ok:
        if domain.verified_at is None:
            domain.verified_at, action = now, "practice.custom_domain_verified"
        elif domain.failing_since is not None:
            action = "practice.custom_domain_verifies_again"
        domain.failing_since = None
        if practice.custom_domain != domain.domain:
            practice.custom_domain = domain.domain
            practice.save(update_fields=["custom_domain"])
    elif domain.verified_at is not None and domain.failing_since is None:
        domain.failing_since, action = now, "practice.custom_domain_failing"
    domain.save()
    if action:
        audit_record(action=action, actor=actor,
                     actor_role="" if actor.user else "system", object_type="practice",
                     object_id=practice.pk, detail={"domain": domain.domain})
    return check


@transaction.atomic
def custom_domain_remove(*, practice_id: int, actor: Actor) -> None:
    _require_owner(actor.person)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    domain = Domain.objects.filter(tenant=practice, is_custom=True).first()
    if domain is None:
        raise CustomDomainError("Your practice has no domain of its own.")
    name = domain.domain
    domain.delete()
    if practice.custom_domain:
        practice.custom_domain = ""
        practice.save(update_fields=["custom_domain"])
    audit_record(action="practice.custom_domain_removed", actor=actor,
                 object_type="practice", object_id=practice.pk, detail={"domain": name})


def recheck_verified_domains() -> tuple[int, int]:
    """Check every verified domain again (the daily job): (checked, failing)."""
    checked = failing = 0
    practice_ids = list(Domain.objects.filter(is_custom=True, verified_at__isnull=False)
                        .values_list("tenant_id", flat=True))
    for practice_id in practice_ids:
        check = custom_domain_verify(practice_id=practice_id, actor=Actor.SYSTEM)
        checked += 1
        failing += 0 if check.ok else 1
    return checked, failing
