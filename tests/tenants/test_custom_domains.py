"""A practice's own domain: the owner adds it and sees the DNS records, verification asks a DNS
server on loopback (dnslib), only a verified name is routed, answered by Caddy's `ask` and used
as the clients' canonical address; it is never on two practices, stops verifying loudly, and is
removed cleanly. Every test has beta, a look-alike, and checks it is untouched."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from tenants import custom_domains
from tenants.audit.models import AuditEvent
from tenants.models import Domain, Practice, PracticeState
from tests.conftest import PracticeWorld
from tests.dns_server import LocalDns
from tests.tenants import sign_in

NAME = "portal.alpha-therapy.test"
BETA_NAME = "portal.beta-counselling.test"
PLATFORM_404_TEXT = "There is no page at this address."


def _add(world: PracticeWorld, name: str = NAME) -> Any:
    return world.http(world.owner).post("/settings/domain/", {"action": "add", "domain": name})


def _publish(dns: LocalDns, name: str, token: str, target: str | None = None) -> None:
    from django.conf import settings

    dns.set(name, "CNAME", target or settings.CUSTOM_DOMAIN_TARGET)
    dns.set(f"_tandem-verify.{name}", "TXT", f"tandem-verify={token}")


def _domain(world: PracticeWorld) -> Domain:
    return Domain.objects.get(tenant=world.practice, is_custom=True)


def _verified(world: PracticeWorld, dns: LocalDns, name: str = NAME) -> Domain:
    assert _add(world, name).status_code == 302
    domain = Domain.objects.get(domain=name)
    _publish(dns, name, domain.verification_token)
    response = world.http(world.owner).post("/settings/domain/", {"action": "verify"})
    assert response.status_code == 302
    domain.refresh_from_db()
    assert domain.verified_at is not None
    return domain


def _beta_untouched(beta: PracticeWorld) -> None:
    practice = Practice.objects.get(pk=beta.practice.pk)
    assert practice.custom_domain == ""
    assert not Domain.objects.filter(tenant=practice, is_custom=True).exists()


def test_the_owner_adds_a_domain_and_sees_the_two_records_to_create(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    assert _add(alpha, "  Portal.Alpha-Therapy.TEST. ").status_code == 302
    domain = _domain(alpha)
    assert domain.domain == NAME
    assert domain.verified_at is None and len(domain.verification_token) == 32
    page = alpha.http(alpha.owner).get("/settings/domain/").content.decode()
    assert "waiting for DNS" in page
    assert f"<code>{NAME}</code></td><td><code>domains.localhost</code>" in page
    assert (f"<code>_tandem-verify.{NAME}</code></td><td><code>tandem-verify="
            f"{domain.verification_token}</code>") in page
    # Nothing is served on it, and Caddy would get no certificate for it.
    response = Client(HTTP_HOST=NAME).get("/accounts/sign-in/")
    assert response.status_code == 404
    assert PLATFORM_404_TEXT in response.content.decode()
    assert Client(HTTP_HOST="localhost").get("/_tls/ask", {"domain": NAME}).status_code == 404
    with schema_context(alpha.practice.schema_name):
        assert list(AuditEvent.objects.filter(action__startswith="practice.custom_domain")
                    .values_list("action", "detail")) == [
            ("practice.custom_domain_added", {"domain": NAME})]
    _beta_untouched(beta)


@pytest.mark.parametrize("name, message", [
    ("", "Enter a domain name"),
    ("alpha-therapy.test", "a CNAME cannot be set on the domain itself"),
    ("https://portal.alpha-therapy.test/", "without https://"),
    ("portal.alpha.localhost", "That is one of the platform"),
    ("bad_name.alpha-therapy.test", "Use letters, digits and hyphens"),
])
def test_a_name_that_cannot_be_a_domain_is_refused_with_the_reason(
    alpha: PracticeWorld, beta: PracticeWorld, name: str, message: str
) -> None:
    response = _add(alpha, name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Domain.objects.filter(is_custom=True).exists()
    _beta_untouched(beta)


def test_a_domain_is_never_attached_to_two_practices(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _verified(alpha, local_dns)
    response = _add(beta, NAME.upper())
    assert response.status_code == 400
    assert custom_domains.TAKEN in response.content.decode()
    # Nor a practice's own subdomain host of the platform, nor the same name pending elsewhere.
    assert _add(beta, "www.alpha.localhost").status_code == 400
    assert list(Domain.objects.filter(domain=NAME).values_list("tenant_id", flat=True)) == [
        alpha.practice.pk]
    _beta_untouched(beta)


def test_only_the_owner_manages_the_domain(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    for user in [alpha.clinician, alpha.front_desk, alpha.billing, alpha.client]:
        http = alpha.http(user)
        assert http.get("/settings/domain/").status_code == 404
        assert http.post("/settings/domain/", {"action": "add", "domain": NAME}).status_code \
            == 404
    assert Client(HTTP_HOST=alpha.host).get("/settings/domain/").status_code == 302
    assert not Domain.objects.filter(is_custom=True).exists()
    _beta_untouched(beta)


def test_verification_names_each_record_that_is_missing_or_wrong(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _add(alpha)
    owner = alpha.http(alpha.owner)
    owner.post("/settings/domain/", {"action": "verify"})
    domain = _domain(alpha)
    assert domain.verified_at is None
    assert domain.last_problem == (f"{NAME} does not exist in DNS yet. _tandem-verify.{NAME} "
                                   "does not exist in DNS yet.")
    _publish(local_dns, NAME, "not-the-token", target="elsewhere.example.net")
    response = owner.post("/settings/domain/", {"action": "verify"}, follow=True)
    page = response.content.decode()
    assert (f"The CNAME of {NAME} points to elsewhere.example.net., not to "
            "domains.localhost.") in page
    assert "does not hold this domain&#x27;s token." in page
    domain.refresh_from_db()
    assert domain.verified_at is None
    assert Practice.objects.get(pk=alpha.practice.pk).custom_domain == ""
    _beta_untouched(beta)


def test_a_verified_domain_serves_its_practice_only_with_host_only_cookies(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _verified(alpha, local_dns)
    assert Practice.objects.get(pk=alpha.practice.pk).custom_domain == NAME
    http = Client(HTTP_HOST=NAME)
    page = http.get("/accounts/sign-in/")
    assert page.status_code == 200
    assert "Alpha Therapy" in page.content.decode()
    assert "Beta Counselling" not in page.content.decode()
    response = sign_in(http, alpha.owner.email)
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["domain"] == ""  # host-only: never sent to the subdomain or elsewhere
    assert "Welcome, Olivia Owner" in http.get("/").content.decode()
    # beta's own host still serves beta, and the name is nobody else's.
    assert "Beta Counselling" in Client(HTTP_HOST=beta.host).get(
        "/accounts/sign-in/").content.decode()
    _beta_untouched(beta)


def test_csrf_trusts_the_practice_s_own_origin_and_no_other(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _verified(alpha, local_dns)
    http = Client(HTTP_HOST=NAME, enforce_csrf_checks=True)
    http.get("/accounts/sign-in/")
    token = http.cookies["csrftoken"].value
    form = {"username": alpha.owner.email, "password": "x" * 12,
            "csrfmiddlewaretoken": token}
    ours = http.post("/accounts/sign-in/", form, HTTP_ORIGIN=f"http://{NAME}")
    assert ours.status_code == 200  # the form answered (wrong password), CSRF passed
    theirs = http.post("/accounts/sign-in/", form, HTTP_ORIGIN=f"http://{beta.host}")
    assert theirs.status_code == 403
    _beta_untouched(beta)


def test_the_custom_domain_is_the_clients_canonical_address(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns,
    django_capture_on_commit_callbacks: Any, mailbox: Any,
) -> None:
    _verified(alpha, local_dns)
    # The subdomain sends clients' pages there (staff pages stay).
    response = Client(HTTP_HOST=alpha.host).get("/portal/help/?x=1")
    assert response.status_code == 301
    assert response["Location"] == f"http://{NAME}/portal/help/?x=1"
    login = Client(HTTP_HOST=alpha.host).get("/accounts/sign-in/?next=/portal/")
    assert login["Location"].startswith(f"http://{NAME}/")
    assert alpha.http(alpha.owner).get("/staff/").status_code == 200
    # Branding's base URL (emails, push links) and invitation links use it.
    from branding.selectors import branding_for

    assert branding_for(Practice.objects.get(pk=alpha.practice.pk)).base_url == f"http://{NAME}"
    assert branding_for(Practice.objects.get(pk=beta.practice.pk)).base_url == \
        f"http://{beta.host}"
    with django_capture_on_commit_callbacks(execute=True):
        invited = alpha.http(alpha.clinician).post("/clients/invite/", {
            "full_name": "Nina New", "email": "nina@example.org", "modules": ["assessments"]})
    assert invited.status_code == 302
    bodies = [message.get_body(preferencelist=("plain",)).get_content()
              for message in mailbox.messages]
    assert any(f"http://{NAME}/portal/invitation/" in body for body in bodies)
    assert not any(f"http://{alpha.host}/portal/invitation/" in body for body in bodies)
    # Requests on beta's subdomain are not redirected anywhere.
    assert Client(HTTP_HOST=beta.host).get("/portal/help/").status_code == 200
    _beta_untouched(beta)


def test_a_domain_that_stops_verifying_is_flagged_and_keeps_serving(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _verified(alpha, local_dns)
    local_dns.clear(NAME)
    assert custom_domains.recheck_verified_domains() == (1, 1)
    domain = _domain(alpha)
    assert domain.failing_since is not None and domain.custom_status == "failing"
    assert "no longer verifies" in alpha.http(alpha.owner).get(
        "/settings/domain/").content.decode()
    assert Client(HTTP_HOST=NAME).get("/accounts/sign-in/").status_code == 200
    assert list(AuditEvent.objects.filter(action="practice.custom_domain_failing")
                .values_list("object_id", "actor_role")) == [(str(alpha.practice.pk), "system")]
    # Checked again (still failing): flagged once. Records back: no longer flagged.
    assert custom_domains.recheck_verified_domains() == (1, 1)
    assert AuditEvent.objects.filter(action="practice.custom_domain_failing").count() == 1
    _publish(local_dns, NAME, domain.verification_token)
    assert custom_domains.recheck_verified_domains() == (1, 0)
    assert _domain(alpha).custom_status == "verified"
    _beta_untouched(beta)


def test_removing_the_domain_stops_serving_it_and_frees_the_name(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns
) -> None:
    _verified(alpha, local_dns)
    response = alpha.http(alpha.owner).post("/settings/domain/", {"action": "remove"})
    assert response.status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).custom_domain == ""
    assert not Domain.objects.filter(domain=NAME).exists()
    assert Client(HTTP_HOST=NAME).get("/accounts/sign-in/").status_code == 404
    assert Client(HTTP_HOST=alpha.host).get("/portal/help/").status_code == 200
    assert _add(beta, NAME).status_code == 302  # the name is free again
    assert _domain(beta).domain == NAME


def test_caddy_ask_says_yes_only_for_verified_domains_of_active_practices(
    alpha: PracticeWorld, beta: PracticeWorld, local_dns: LocalDns, settings: Any
) -> None:
    _verified(alpha, local_dns)
    _add(beta, BETA_NAME)  # added, never verified
    ask = Client(HTTP_HOST="web:8000")  # Caddy asks the app by its internal address

    def answer(name: str) -> int:
        return ask.get("/_tls/ask", {"domain": name}).status_code

    assert answer(NAME) == 200
    assert answer(NAME.upper() + ".") == 200
    assert answer(BETA_NAME) == 404
    assert answer("unknown.example.com") == 404
    assert answer("") == 404
    assert answer(beta.host) == 404
    assert ask.post("/_tls/ask", {"domain": NAME}).status_code == 405
    Practice.objects.filter(pk=alpha.practice.pk).update(state=PracticeState.SUSPENDED)
    assert answer(NAME) == 404
    # Rate limited per caller: a flood of names gets 429, not a database lookup each.
    cache.clear()
    settings.TLS_ASK_RATE = "3/m"
    assert [answer("unknown.example.com") for _ in range(4)] == [404, 404, 404, 429]
