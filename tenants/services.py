"""Practice lifecycle: provisioning, suspension, deletion. Each write is one transaction with its
audit event; provisioning is all or nothing."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from tenants import selectors
from tenants.accounts.models import EMAIL_TAKEN, PLATFORM_ROLES, Role, User
from tenants.actor import Actor
from tenants.audit.actions import Action
from tenants.audit.services import RequestMeta, audit_record
from tenants.cloning import clone_schema
from tenants.models import Domain, Practice, PracticeState
from tenants.spares import new_schema_name, spare_claim
from tenants.subdomains import subdomain_problem

logger = logging.getLogger(__name__)


class ProvisioningError(Exception):
    """Provisioning did not happen; the message is fit to show the person signing up."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class LifecycleError(Exception):
    pass


@dataclass(frozen=True)
class PracticeSignup:
    practice_name: str
    subdomain: str
    owner_name: str
    owner_email: str
    owner_password: str


def _new_schema_name() -> str:
    return new_schema_name()


def _clone_template(schema_name: str) -> None:
    """Copy the migrated template schema (tables, sequences, triggers, migration history)."""
    if not schema_exists(settings.TENANT_BASE_SCHEMA):
        raise ProvisioningError(
            "The platform is not ready to create practices yet (its template is missing). "
            "Please try again in a few minutes."
        )
    clone_schema(settings.TENANT_BASE_SCHEMA, schema_name)


def _refill_spares_soon() -> None:
    from tenants.tasks import spare_schemas_refill_job

    spare_schemas_refill_job.send()


def signup_problems(signup: PracticeSignup) -> dict[str, list[str]]:
    """Every problem of a signup at once, by field, so the person fixes them in one go
    (empty when it can go ahead)."""
    problems: dict[str, list[str]] = {}
    subdomain = subdomain_problem(signup.subdomain)
    if subdomain:
        problems["subdomain"] = [subdomain]
    elif selectors.subdomain_is_taken(signup.subdomain):
        problems["subdomain"] = ["That subdomain is already taken. Choose another."]
    if not signup.practice_name.strip():
        problems["practice_name"] = ["Enter the practice's name."]
    try:
        validate_password(
            signup.owner_password,
            user=User(email=signup.owner_email, full_name=signup.owner_name),
        )
    except ValidationError as error:
        problems["owner_password"] = list(error.messages)
    return problems


def validate_signup(signup: PracticeSignup) -> None:
    problems = signup_problems(signup)
    if problems:
        field, messages = next(iter(problems.items()))
        raise ProvisioningError(" ".join(messages), field=field)


@transaction.atomic
def practice_provision(
    *, signup: PracticeSignup, actor: Actor
) -> tuple[Practice, User]:
    """Create a practice, its schema (a spare cloned ahead of time when one is ready, else
    cloned from the template now: tenants.spares), its domain and its owner.

    One transaction: PostgreSQL DDL is transactional, so if any step fails no schema, practice
    row, domain or user remains (and a claimed spare goes back to the pool).
    """
    validate_signup(signup)
    spare = spare_claim()
    practice = Practice(
        schema_name=spare or _new_schema_name(),
        name=signup.practice_name.strip(),
        subdomain=signup.subdomain,
        state=PracticeState.ACTIVE,
        state_changed_at=timezone.now(),
    )
    try:
        practice.save()
        _release_stale_domain(signup.subdomain)
        Domain.objects.create(
            domain=selectors.practice_host(signup.subdomain), tenant=practice, is_primary=True
        )
        if spare is None:
            _clone_template(practice.schema_name)
        if settings.SPARE_SCHEMAS:
            # Robust: with Redis down the practice exists all the same; the scheduler's
            # refill comes within five minutes.
            transaction.on_commit(_refill_spares_soon, robust=True)
        with schema_context(practice.schema_name):
            owner = User.objects.create_user(
                signup.owner_email,
                signup.owner_password,
                full_name=signup.owner_name.strip(),
                role=Role.OWNER,
            )
            audit_record(
                action=Action.PRACTICE_PROVISIONED,
                actor=owner,
                object_type="practice",
                object_id=practice.pk,
                meta=actor.meta,
            )
    except DatabaseError as error:
        logger.exception("provisioning failed for schema %s", practice.schema_name)
        raise ProvisioningError(
            "We could not create your practice because of a problem on our side. Nothing was "
            "kept; please try again."
        ) from error
    audit_record(
        action=Action.PRACTICE_PROVISIONED,
        actor=actor,
        actor_role="" if actor.user else "signup",
        object_type="practice",
        object_id=practice.pk,
    )
    return practice, owner


def _release_stale_domain(subdomain: str) -> None:
    """An old name whose redirect has expired is free: drop its leftover row before reuse."""
    Domain.objects.filter(
        domain=selectors.practice_host(subdomain), is_primary=False,
        redirect_until__lte=timezone.now(),
    ).delete()


SUBDOMAIN_REDIRECT_DAYS = 90


@transaction.atomic
def practice_rename_subdomain(
    *, practice_id: int, new_subdomain: str, actor: Actor
) -> Practice:
    """Move a practice to a new subdomain; the old one redirects for 90 days, then is released."""
    if actor.person.role != Role.OWNER or not actor.person.is_active:
        raise PermissionError("Only the practice owner renames the subdomain.")
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    new_subdomain = new_subdomain.strip()
    if new_subdomain == practice.subdomain:
        raise ProvisioningError("That is already your subdomain.", field="subdomain")
    problem = subdomain_problem(new_subdomain)
    if problem:
        raise ProvisioningError(problem, field="subdomain")
    own_old = Domain.objects.filter(
        tenant=practice, domain=selectors.practice_host(new_subdomain)
    ).first()
    if own_old is None and selectors.subdomain_is_taken(new_subdomain):
        raise ProvisioningError("That subdomain is already taken. Choose another.", "subdomain")
    _release_stale_domain(new_subdomain)
    until = timezone.now() + timedelta(days=SUBDOMAIN_REDIRECT_DAYS)
    Domain.objects.filter(tenant=practice, is_primary=True).update(
        is_primary=False, redirect_until=until
    )
    if own_old is not None:  # moving back to a name it still holds
        Domain.objects.filter(pk=own_old.pk).update(is_primary=True, redirect_until=None)
    else:
        Domain.objects.create(
            domain=selectors.practice_host(new_subdomain), tenant=practice, is_primary=True
        )
    previous = practice.subdomain
    practice.subdomain = new_subdomain
    practice.save(update_fields=["subdomain"])
    audit_record(action=Action.PRACTICE_SUBDOMAIN_RENAMED, actor=actor,
                 object_type="practice", object_id=practice.pk, detail={"from": previous,
                                                                        "to": new_subdomain})
    return practice


@transaction.atomic
def release_expired_domains() -> int:
    deleted, _ = Domain.objects.filter(
        is_primary=False, redirect_until__lte=timezone.now()
    ).delete()
    return deleted


def _require_operator(acting_user: User) -> None:
    if acting_user.role != Role.OPERATOR or not acting_user.is_active:
        raise PermissionError("Only platform operators manage practice lifecycle.")


def _set_state(
    practice: Practice, state: str, acting_user: User, action: str, meta: RequestMeta | None,
    **fields: Any,
) -> Practice:
    previous = practice.state
    practice.state = state
    practice.state_changed_at = timezone.now()
    for name, value in fields.items():
        setattr(practice, name, value)
    practice.save(update_fields=["state", "state_changed_at", *fields])
    audit_record(
        action=action,
        actor=acting_user,
        object_type="practice",
        object_id=practice.pk,
        meta=meta,
        detail={"from": previous, "to": state},
    )
    return practice


@transaction.atomic
def practice_suspend(*, practice_id: int, actor: Actor) -> Practice:
    _require_operator(actor.person)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    if practice.state != PracticeState.ACTIVE:
        raise LifecycleError("Only an active practice can be suspended.")
    return _set_state(practice, PracticeState.SUSPENDED, actor.person, Action.PRACTICE_SUSPENDED,
                      actor.meta)


@transaction.atomic
def practice_reactivate(*, practice_id: int, actor: Actor) -> Practice:
    """Bring back a suspended practice, or cancel a scheduled deletion."""
    _require_operator(actor.person)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    if practice.state == PracticeState.ACTIVE:
        raise LifecycleError("This practice is already active.")
    if practice.state == PracticeState.MOVED:
        raise LifecycleError("This practice has moved to another database.")
    return _set_state(
        practice, PracticeState.ACTIVE, actor.person, Action.PRACTICE_REACTIVATED, actor.meta,
        deletion_due_at=None,
    )


@transaction.atomic
def practice_schedule_deletion(*, practice_id: int, actor: Actor) -> Practice:
    _require_operator(actor.person)
    practice = Practice.objects.select_for_update().get(pk=practice_id)
    if practice.state == PracticeState.DELETION_SCHEDULED:
        raise LifecycleError("Deletion is already scheduled.")
    due = timezone.now() + timedelta(days=settings.PRACTICE_DELETION_GRACE_DAYS)
    return _set_state(
        practice, PracticeState.DELETION_SCHEDULED, actor.person,
        Action.PRACTICE_DELETION_SCHEDULED, actor.meta, deletion_due_at=due,
    )


@transaction.atomic
def practice_purge(*, practice_id: int) -> bool:
    """Drop the schema and rows of a practice whose deletion came due. Idempotent."""
    practice = (
        Practice.objects.select_for_update(skip_locked=True)
        .filter(
            pk=practice_id,
            state=PracticeState.DELETION_SCHEDULED,
            deletion_due_at__lte=timezone.now(),
        )
        .first()
    )
    if practice is None:
        return False
    schema = connection.ops.quote_name(practice.schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    Domain.objects.filter(tenant=practice).delete()
    audit_record(
        action=Action.PRACTICE_DELETED,
        actor=None,
        actor_role="system",
        object_type="practice",
        object_id=practice.pk,
        detail={"subdomain": practice.subdomain},
    )
    Practice.objects.filter(pk=practice.pk).delete()
    return True


def platform_user_create(*, email: str, password: str, full_name: str, role: str) -> User:
    if role not in PLATFORM_ROLES:
        raise ValueError(f"{role} is not a platform role")
    with schema_context("public"):
        if User.objects.with_email(email).exists():
            raise ValueError(EMAIL_TAKEN)
        return User.objects.create_user(email, password, full_name=full_name, role=role)
