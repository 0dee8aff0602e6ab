"""The operator console on the public host: who may see it, what it shows (counts, never a
practice's people or clinical data) and the practice lifecycle it drives (suspend, reactivate,
schedule deletion, purge), each step audited in the public schema."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.accounts.models import Role, User
from tenants.audit.models import AuditEvent
from tenants.models import Domain, Practice, PracticeState
from tenants.services import practice_purge
from tenants.tasks import purge_due
from tests.conftest import PASSWORD, PracticeWorld
from tests.tenants import schema_names, sign_in, table_row_counts

UNAVAILABLE_TEXT = "This portal is temporarily unavailable."
PRACTICE_PAGES = ["/", "/accounts/sign-in/", "/staff/", "/staff/invite/"]
CONFIRM_ALPHA = {"confirm": "alpha"}
PEOPLE_NAMES = ["Olivia Owner", "Casey Clinician", "Frankie Desk", "Billie Billing",
                "Chris Client"]


class _Table(HTMLParser):
    """The page's table: its column headings and the text of each cell of each body row."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            (self.rows[-1] if self._in_body else self.headings).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


LISTED = ["Practice", "Subdomain", "State", "Created", "Staff", "Clients"]


def _listing(html: str) -> list[list[str]]:
    """The listed columns of each row, whatever other columns the console grows."""
    table = _Table()
    table.feed(html)
    positions = [table.headings.index(heading) for heading in LISTED]
    return [[row[position] for position in positions] for row in table.rows]


def _console(user: User) -> Client:
    http = Client(HTTP_HOST=settings.PLATFORM_DOMAIN)
    assert sign_in(http, user.email).status_code == 302
    return http


def _lifecycle_events(practice: Practice) -> list[tuple[str, int | None, str]]:
    with schema_context("public"):
        events = AuditEvent.objects.filter(
            object_type="practice", object_id=str(practice.pk)
        ).exclude(action="practice.provisioned").order_by("pk")
        return list(events.values_list("action", "actor_id", "actor_role"))


def _user_count(world: PracticeWorld) -> int:
    with schema_context(world.practice.schema_name):
        return User.objects.count()


@pytest.fixture
def billing_staff(db: None) -> User:
    with schema_context("public"):
        return User.objects.create_user("billing-staff@tandem.test", PASSWORD,
                                        full_name="Bea Billing-Staff", role=Role.BILLING_STAFF)


# --- who may use the console ---------------------------------------------------------------

def test_anonymous_is_sent_to_sign_in(alpha: PracticeWorld, public_http: Client) -> None:
    listing = public_http.get("/operator/")
    action = public_http.post(f"/operator/practices/{alpha.practice.pk}/suspend/")

    assert listing.status_code == 302
    assert listing["Location"] == "/accounts/sign-in/?next=/operator/"
    assert action.status_code == 302
    assert action["Location"] == (
        f"/accounts/sign-in/?next=/operator/practices/{alpha.practice.pk}/suspend/"
    )
    assert Practice.objects.get(pk=alpha.practice.pk).state == PracticeState.ACTIVE
    assert _lifecycle_events(alpha.practice) == []


def test_a_practice_owner_has_no_account_on_the_public_host(
    alpha: PracticeWorld, public_http: Client
) -> None:
    response = sign_in(public_http, alpha.owner.email)

    assert response.status_code == 200
    assert "That email and password do not match an account here." in response.content.decode()
    listing = public_http.get("/operator/")
    assert listing.status_code == 302
    assert listing["Location"] == "/accounts/sign-in/?next=/operator/"


def test_billing_staff_get_404(alpha: PracticeWorld, billing_staff: User) -> None:
    http = _console(billing_staff)

    listing = http.get("/operator/")
    action = http.post(f"/operator/practices/{alpha.practice.pk}/suspend/")

    assert listing.status_code == 404
    assert action.status_code == 404
    for response in (listing, action):
        assert "Alpha Therapy" not in response.content.decode()
    assert Practice.objects.get(pk=alpha.practice.pk).state == PracticeState.ACTIVE
    assert _lifecycle_events(alpha.practice) == []


def test_operator_lists_practices_with_counts_and_no_people(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User
) -> None:
    response = _console(operator).get("/operator/")

    assert response.status_code == 200
    body = response.content.decode()
    assert _listing(body) == [
        ["Alpha Therapy", "alpha", "Active", f"{alpha.practice.created_at:%Y-%m-%d}", "4", "1"],
        ["Beta Counselling", "beta", "Active", f"{beta.practice.created_at:%Y-%m-%d}", "4", "1"],
    ]
    for name in PEOPLE_NAMES:
        assert name not in body
    assert "@example.org" not in body


def test_an_unknown_practice_or_action_is_404(alpha: PracticeWorld, operator: User) -> None:
    http = _console(operator)

    assert http.post("/operator/practices/999999/suspend/").status_code == 404
    assert http.post(f"/operator/practices/{alpha.practice.pk}/drop-everything/").status_code \
        == 404
    assert http.get(f"/operator/practices/{alpha.practice.pk}/reactivate/").status_code == 405
    assert Practice.objects.get(pk=alpha.practice.pk).state == PracticeState.ACTIVE
    assert _lifecycle_events(alpha.practice) == []


# --- suspension ---------------------------------------------------------------------------

def test_suspension_closes_every_page_of_that_practice_only_and_keeps_its_rows(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User
) -> None:
    alpha_owner = alpha.http()
    assert sign_in(alpha_owner, alpha.owner.email).status_code == 302
    assert alpha_owner.get("/staff/").status_code == 200
    beta_owner = beta.http()
    assert sign_in(beta_owner, beta.owner.email).status_code == 302
    rows_before = table_row_counts(alpha.practice.schema_name)
    assert rows_before["accounts_user"] == 5
    console = _console(operator)

    response = console.post(f"/operator/practices/{alpha.practice.pk}/suspend/", CONFIRM_ALPHA)

    assert response.status_code == 302
    assert response["Location"] == "/operator/"
    assert Practice.objects.get(pk=alpha.practice.pk).state == PracticeState.SUSPENDED
    for http in (alpha.http(), alpha_owner):
        for path in PRACTICE_PAGES:
            page = http.get(path)
            assert page.status_code == 503, path
            assert UNAVAILABLE_TEXT in page.content.decode()
            assert "Olivia Owner" not in page.content.decode()
    attempt = sign_in(alpha.http(), alpha.owner.email)
    assert attempt.status_code == 503
    assert "sessionid" not in attempt.cookies
    assert table_row_counts(alpha.practice.schema_name) == rows_before
    # beta carries on.
    assert beta.http().get("/").status_code == 302
    assert beta_owner.get("/").status_code == 200
    assert "Beta Counselling" in beta_owner.get("/").content.decode()
    assert _user_count(beta) == 5
    assert Practice.objects.get(pk=beta.practice.pk).state == PracticeState.ACTIVE
    listing = _listing(console.get("/operator/").content.decode())
    assert [row[:3] for row in listing] == [
        ["Alpha Therapy", "alpha", "Suspended"], ["Beta Counselling", "beta", "Active"],
    ]

    response = console.post(f"/operator/practices/{alpha.practice.pk}/reactivate/")

    assert response.status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).state == PracticeState.ACTIVE
    assert alpha_owner.get("/staff/").status_code == 200
    assert "Olivia Owner" in alpha_owner.get("/").content.decode()
    assert table_row_counts(alpha.practice.schema_name)["accounts_user"] == 5
    assert _lifecycle_events(alpha.practice) == [
        ("practice.suspended", operator.pk, "operator"),
        ("practice.reactivated", operator.pk, "operator"),
    ]
    assert _lifecycle_events(beta.practice) == []


def test_health_checks_answer_on_a_suspended_practice(
    alpha: PracticeWorld, operator: User
) -> None:
    _console(operator).post(f"/operator/practices/{alpha.practice.pk}/suspend/", CONFIRM_ALPHA)

    assert alpha.http().get("/healthz").status_code == 200
    assert alpha.http().get("/readyz").status_code == 200
    assert alpha.http().get("/").status_code == 503


# --- deletion -----------------------------------------------------------------------------

def test_scheduling_deletion_sets_the_due_date_and_reactivation_cancels_it(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User
) -> None:
    console = _console(operator)
    grace = timedelta(days=settings.PRACTICE_DELETION_GRACE_DAYS)

    before = timezone.now()
    response = console.post(f"/operator/practices/{alpha.practice.pk}/schedule-deletion/",
                            CONFIRM_ALPHA)
    after = timezone.now()

    assert response.status_code == 302
    practice = Practice.objects.get(pk=alpha.practice.pk)
    assert practice.state == PracticeState.DELETION_SCHEDULED
    assert practice.deletion_due_at is not None
    assert before + grace <= practice.deletion_due_at <= after + grace
    assert alpha.http().get("/").status_code == 503
    assert beta.http().get("/").status_code == 302
    listing = _listing(console.get("/operator/").content.decode())
    assert listing[0][2] == f"Deletion scheduled (on {practice.deletion_due_at:%Y-%m-%d})"

    console.post(f"/operator/practices/{alpha.practice.pk}/reactivate/")

    practice.refresh_from_db()
    assert practice.state == PracticeState.ACTIVE
    assert practice.deletion_due_at is None
    assert alpha.http().get("/").status_code == 302
    assert _lifecycle_events(alpha.practice) == [
        ("practice.deletion_scheduled", operator.pk, "operator"),
        ("practice.reactivated", operator.pk, "operator"),
    ]
    # Nothing is due any more, even long after the original date.
    Practice.objects.filter(pk=practice.pk).update(
        deletion_due_at=timezone.now() - timedelta(days=1)
    )
    assert purge_due() == 0
    assert alpha.practice.schema_name in schema_names()


def test_purge_drops_the_schema_only_after_the_due_date(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User
) -> None:
    alpha_schema = alpha.practice.schema_name
    schemas_before = schema_names()
    assert {alpha_schema, beta.practice.schema_name} <= schemas_before
    beta_rows = table_row_counts(beta.practice.schema_name)
    _console(operator).post(f"/operator/practices/{alpha.practice.pk}/schedule-deletion/",
                            CONFIRM_ALPHA)

    assert purge_due() == 0
    Practice.objects.filter(pk=alpha.practice.pk).update(
        deletion_due_at=timezone.now() + timedelta(minutes=1)
    )
    assert purge_due() == 0
    # The service checks the due date itself too, whoever calls it.
    assert practice_purge(practice_id=alpha.practice.pk) is False
    assert practice_purge(practice_id=beta.practice.pk) is False
    assert schema_names() == schemas_before
    assert Practice.objects.filter(pk=alpha.practice.pk).count() == 1
    assert _user_count(alpha) == 5

    Practice.objects.filter(pk=alpha.practice.pk).update(
        deletion_due_at=timezone.now() - timedelta(seconds=1)
    )
    assert purge_due() == 1

    assert schema_names() == schemas_before - {alpha_schema}
    assert Practice.objects.filter(pk=alpha.practice.pk).count() == 0
    assert Domain.objects.filter(domain=alpha.host).count() == 0
    assert alpha.http().get("/").status_code == 404
    with schema_context("public"):
        deleted = AuditEvent.objects.filter(action="practice.deleted")
        assert list(deleted.values_list("object_id", "actor_id", "actor_role")) == [
            (str(alpha.practice.pk), None, "system"),
        ]
    # beta is untouched, and a second run finds nothing to do.
    assert table_row_counts(beta.practice.schema_name) == beta_rows
    assert Practice.objects.get(pk=beta.practice.pk).state == PracticeState.ACTIVE
    assert beta.http().get("/").status_code == 302
    assert purge_due() == 0


def test_a_suspended_practice_is_never_purged(alpha: PracticeWorld, operator: User) -> None:
    _console(operator).post(f"/operator/practices/{alpha.practice.pk}/suspend/", CONFIRM_ALPHA)
    Practice.objects.filter(pk=alpha.practice.pk).update(
        deletion_due_at=timezone.now() - timedelta(days=1)
    )

    assert purge_due() == 0
    assert alpha.practice.schema_name in schema_names()
    assert Practice.objects.filter(pk=alpha.practice.pk).count() == 1


# --- confirmation -------------------------------------------------------------------------

@pytest.mark.parametrize(("action", "heading", "consequence"), [
    ("suspend", "Suspend Alpha Therapy?",
     "Every page of Alpha Therapy will show a &quot;temporarily unavailable&quot; page"),
    ("schedule-deletion", "Schedule deletion Alpha Therapy?",
     f"is deleted for good after {settings.PRACTICE_DELETION_GRACE_DAYS} days"),
])
def test_closing_a_practice_asks_first_naming_it_and_an_unconfirmed_post_does_nothing(
    alpha: PracticeWorld, beta: PracticeWorld, operator: User, action: str, heading: str,
    consequence: str,
) -> None:
    console = _console(operator)
    url = f"/operator/practices/{alpha.practice.pk}/{action}/"
    listing = console.get("/operator/").content.decode()
    assert f'href="{url}"' in listing
    assert f'<form method="post" action="{url}"' not in listing

    page = console.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert f"<h1>{heading}</h1>" in body
    assert consequence in body
    assert "Type the practice&#x27;s subdomain, alpha, to confirm" in body
    assert "Beta Counselling" not in body

    for data in ({}, {"confirm": ""}, {"confirm": "beta"}, {"confirm": "alph"}):
        refused = console.post(url, data)
        assert refused.status_code == 400, data
        assert "Type alpha exactly to confirm; nothing was changed." in refused.content.decode()
    for world in (alpha, beta):
        practice = Practice.objects.get(pk=world.practice.pk)
        assert (practice.state, practice.deletion_due_at) == (PracticeState.ACTIVE, None)
        assert _lifecycle_events(world.practice) == []
    assert alpha.http().get("/").status_code == 302

    # Typed with a capital and spaces, it is still the subdomain.
    assert console.post(url, {"confirm": " Alpha "}).status_code == 302
    assert Practice.objects.get(pk=alpha.practice.pk).state != PracticeState.ACTIVE
    assert Practice.objects.get(pk=beta.practice.pk).state == PracticeState.ACTIVE
    assert _lifecycle_events(beta.practice) == []
