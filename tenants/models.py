"""A practice is a tenant: one PostgreSQL schema, reached through its subdomain."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django_tenants.models import DomainMixin, TenantMixin

from tenants.features import MessagingPolicyKind, default_modules


class PracticeState(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    DELETION_SCHEDULED = "deletion_scheduled", "Deletion scheduled"
    # Moved to another database (tenants.backup.practice_move): this row is the catalog entry.
    MOVED = "moved", "Moved to another database"


# The database alias a practice's schema lives in, from the point of view of the database that
# holds the row: "default" means here (see docs/scaling.md).
LOCAL_DATABASE = "default"


class BillingState(models.TextChoices):
    """Mirrored from the practice's Stripe subscription by the billing app's webhook jobs."""

    TRIALING = "trialing", "Trial"
    ACTIVE = "active", "Active"
    PAST_DUE = "past_due", "Payment failed (grace period)"
    UNPAID = "unpaid", "Unpaid (read-only)"
    CANCELED = "canceled", "Canceled (read-only)"


READ_ONLY_BILLING_STATES = frozenset({BillingState.UNPAID, BillingState.CANCELED})


class Practice(TenantMixin):
    name = models.CharField(max_length=120)
    subdomain = models.CharField(max_length=40, unique=True)
    state = models.CharField(
        max_length=24, choices=PracticeState.choices, default=PracticeState.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    deletion_due_at = models.DateTimeField(null=True, blank=True)
    # Configuration the owner sets (loaded with the tenant on every request: no extra query).
    enabled_modules = models.JSONField(default=default_modules)
    messaging_policy = models.CharField(
        max_length=20, choices=MessagingPolicyKind.CHOICES, default=MessagingPolicyKind.REPLY_ONLY
    )
    instrument_keys = models.JSONField(default=list, blank=True)
    # Billing (see the billing app): the plan's key and the subscription's state. Unpaid or
    # canceled practices are read-only: everyone can sign in, read and export; nothing new.
    plan_key = models.CharField(max_length=40, blank=True)
    billing_state = models.CharField(max_length=12, choices=BillingState.choices,
                                     default=BillingState.TRIALING)
    # Reliable-change thresholds for instruments without a published one ({key: points}).
    reliable_change_thresholds = models.JSONField(default=dict, blank=True)
    # Catalog: which database holds the schema ("default": this one) and when it moved there.
    database_alias = models.CharField(max_length=63, default=LOCAL_DATABASE)
    moved_at = models.DateTimeField(null=True, blank=True)
    # The practice's own verified host name (tenants.custom_domains), its clients' canonical
    # address; blank while it has none. Loaded with the tenant: no extra query.
    custom_domain = models.CharField(max_length=253, blank=True)

    # Provisioning clones the template schema itself (tenants.services), inside one transaction.
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="deletion_scheduled")
                | models.Q(deletion_due_at__isnull=False),
                name="practice_deletion_has_due_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.subdomain})"

    @property
    def is_serving(self) -> bool:
        return self.state == PracticeState.ACTIVE

    @property
    def is_read_only(self) -> bool:
        return self.billing_state in READ_ONLY_BILLING_STATES

    def has_module(self, key: str) -> bool:
        return key in self.enabled_modules


class Domain(DomainMixin):
    """A host name routed to a practice (`<subdomain>.<PLATFORM_DOMAIN>`).

    After a rename the old name stays as a non-primary domain that redirects to the primary one
    until `redirect_until`; then it is released.

    A practice's own domain (`is_custom`) is a non-primary row too: it is routed only once its
    DNS records were verified (tenants.custom_domains). The column's uniqueness is what keeps one
    name from ever belonging to two practices.
    """

    redirect_until = models.DateTimeField(null=True, blank=True)
    is_custom = models.BooleanField(default=False)
    verification_token = models.CharField(max_length=64, blank=True)
    added_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # Set when a verified domain stops verifying; cleared when it verifies again. The domain
    # keeps serving meanwhile (flagged to the owner and the operator, never silently dropped).
    failing_since = models.DateTimeField(null=True, blank=True)
    last_problem = models.CharField(max_length=300, blank=True)

    @property
    def is_verified(self) -> bool:
        return self.is_custom and self.verified_at is not None

    @property
    def custom_status(self) -> str:
        if not self.is_custom:
            return ""
        if self.verified_at is None:
            return "pending"
        return "failing" if self.failing_since is not None else "verified"

    @property
    def redirects(self) -> bool:
        return (
            not self.is_primary
            and self.redirect_until is not None
            and self.redirect_until > timezone.now()
        )


class MigrationRun(models.Model):
    """One "migrate all" job started by an operator (tenants.fleet): its progress and each
    practice that failed. At most one runs at a time (the partial unique index)."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Finished with failures"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by_id = models.BigIntegerField(null=True, blank=True)
    # A retry names the schemas it re-runs; empty: the public and template schemas and every
    # practice of this database.
    only_schemas = models.JSONField(default=list, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # {schema: {"practice_id": …, "error": exception class and first line}}: never data.
    failures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="running"),
                                    name="tenants_one_migration_run_at_a_time"),
        ]

    def __str__(self) -> str:
        return f"migration run {self.pk}: {self.status}"

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)


class SpareSchema(models.Model):
    """A practice schema cloned ahead of time, waiting for a signup (tenants.spares). The
    fingerprint is the template's migration history it was cloned from; a spare whose
    fingerprint is not the template's current one is never used."""

    schema_name = models.CharField(max_length=63, unique=True)
    fingerprint = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["fingerprint", "created_at"])]

    def __str__(self) -> str:
        return f"spare schema {self.schema_name}"
