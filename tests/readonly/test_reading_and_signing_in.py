"""What stays open in read-only mode: signing in and out, password reset, the login hand-off,
every page to read (with a banner saying why nothing can be changed), and the owner's billing
pages, where the practice is paid for again."""

from __future__ import annotations

import re
import secrets

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django_tenants.utils import schema_context

from config.readonly import ReadOnlyPracticeMiddleware
from controlplane.auth_views import handoff_token
from tenants.accounts.models import User
from tenants.models import BillingState
from tests.conftest import PASSWORD, PracticeWorld
from tests.readonly.test_write_paths import set_billing_state

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-77"
RESET_LINK = re.compile(r"http://[^\s\"<>]+(/accounts/password-reset/[^\s\"<>/]+/[^\s\"<>/]+/)")
CLIENT_BANNER = "Alpha Therapy's portal is read-only for now"
STAFF_PAGES = ["/", "/staff/", "/settings/", "/settings/modules/", "/settings/messaging/",
               "/clinic/clients/", "/clinic/alerts/", "/clinic/instruments/"]


def test_sign_in_and_sign_out_work(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    http = alpha.http()

    response = http.post("/accounts/sign-in/", {"username": "clinician@example.org",
                                                "password": PASSWORD})
    assert response.status_code == 302
    assert http.get("/staff/").status_code == 404  # signed in: an owner page hides itself
    assert http.post("/accounts/sign-out/").status_code == 302
    assert http.get("/").status_code == 302  # signed out: sent to sign in


def test_password_reset_works(alpha: PracticeWorld, mailbox) -> None:
    set_billing_state(alpha, BillingState.CANCELED)
    http = alpha.http()

    assert http.post("/accounts/password-reset/",
                     {"email": "client@example.org"}).status_code == 302
    assert len(mailbox.to("client@example.org")) == 1
    body = mailbox.to("client@example.org")[0].get_body(preferencelist=("plain",)).get_content()
    link = RESET_LINK.search(body)
    assert link is not None
    form_page = http.get(link[1], follow=True)
    assert form_page.status_code == 200
    response = http.post(form_page.redirect_chain[-1][0],
                         {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    with schema_context(alpha.practice.schema_name):
        assert User.objects.get(email="client@example.org").check_password(NEW_PASSWORD)


def test_the_login_handoff_works(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    token = handoff_token(schema_name=alpha.practice.schema_name, user_id=alpha.owner.pk,
                          nonce=secrets.token_urlsafe(16))
    http = alpha.http()
    response = http.post("/auth/handoff/", {"token": token})
    assert response.status_code == 302
    assert http.get("/staff/").status_code == 200


@pytest.mark.parametrize("state", [BillingState.UNPAID, BillingState.CANCELED])
def test_staff_pages_still_answer_with_a_banner(alpha: PracticeWorld, beta: PracticeWorld,
                                                state: str) -> None:
    set_billing_state(alpha, state)
    why = "was canceled" if state == BillingState.CANCELED else "is unpaid"
    owner, clinician = alpha.http(alpha.owner), alpha.http(alpha.clinician)

    for path in STAFF_PAGES:
        page = owner.get(path)
        assert page.status_code == 200, path
        text = page.content.decode()
        assert f"Alpha Therapy is read-only because its subscription {why}." in text, path
        assert '<a href="/billing/">Update the payment method</a>' in text, path
    clinic = clinician.get("/clinic/clients/").content.decode()
    assert f"Alpha Therapy is read-only because its subscription {why}." in clinic
    assert "Ask the practice owner to update the payment method." in clinic
    assert 'href="/billing/"' not in clinic
    assert beta.http(beta.owner).get("/staff/").content.decode().count("readonly-banner") == 0


def test_client_pages_still_answer_with_a_banner(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    http = alpha.http(alpha.client)
    for path in ["/portal/", "/portal/help/", "/portal/assessments/"]:
        page = http.get(path)
        assert page.status_code == 200, path
        text = page.content.decode()
        assert CLIENT_BANNER in text, path
        assert "subscription" not in text, path
        assert "/billing/" not in text, path


def test_the_sign_in_page_shows_the_banner_without_billing_details(alpha: PracticeWorld
                                                                   ) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    page = alpha.http().get("/accounts/sign-in/").content.decode()
    assert CLIENT_BANNER in page
    assert "subscription" not in page
    assert "/billing/" not in page


def test_api_reads_still_answer(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    response = alpha.http(alpha.clinician).get("/api/v1/instruments")
    assert response.status_code == 200


def _through_middleware(alpha: PracticeWorld, user: object, method: str, path: str
                        ) -> HttpResponse | None:
    request = getattr(RequestFactory(), method)(path)
    request.tenant = alpha.practice
    request.user = user
    request.resolver_match = None
    with schema_context(alpha.practice.schema_name):
        return ReadOnlyPracticeMiddleware(lambda r: HttpResponse()).process_view(
            request, None, (), {})


def test_the_owner_may_act_on_the_billing_pages_and_nobody_else(alpha: PracticeWorld) -> None:
    """The billing pages are the way out of read-only mode: the owner's POSTs under /billing/
    pass; anyone else's are refused, as is the owner's anywhere else."""
    set_billing_state(alpha, BillingState.UNPAID)
    assert _through_middleware(alpha, alpha.owner, "post", "/billing/checkout/") is None
    assert _through_middleware(alpha, alpha.owner, "post", "/billing/") is None
    for user in (alpha.clinician, alpha.billing, alpha.client, AnonymousUser()):
        refused = _through_middleware(alpha, user, "post", "/billing/checkout/")
        assert refused is not None and refused.status_code == 403
    refused = _through_middleware(alpha, alpha.owner, "post", "/billingx/")
    assert refused is not None and refused.status_code == 403
    refused = _through_middleware(alpha, alpha.owner, "post", "/staff/invite/")
    assert refused is not None and refused.status_code == 403


def test_the_billing_exemption_needs_an_active_owner(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.UNPAID)
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.owner.pk).update(is_active=False)
        alpha.owner.refresh_from_db()
    refused = _through_middleware(alpha, alpha.owner, "post", "/billing/checkout/")
    assert refused is not None and refused.status_code == 403


def test_an_active_practice_passes_the_middleware(alpha: PracticeWorld) -> None:
    set_billing_state(alpha, BillingState.ACTIVE)
    assert _through_middleware(alpha, alpha.clinician, "post", "/staff/invite/") is None
    assert _through_middleware(alpha, alpha.clinician, "delete", "/api/v1/alerts/1") is None
