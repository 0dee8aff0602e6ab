"""One user model, in two places: the public schema holds platform operators and billing staff,
each practice schema holds that practice's staff and clients. A person belongs to exactly one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone


class Role(models.TextChoices):
    # public schema
    OPERATOR = "operator", "Platform operator"
    BILLING_STAFF = "billing_staff", "Billing staff"
    # practice schemas
    OWNER = "owner", "Owner"
    CLINICIAN = "clinician", "Clinician"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    CLIENT = "client", "Client"
    # A parent, guardian or other representative linked to one or more clients
    # (practice.family): their own sign-in, never a client's record of their own.
    PROXY = "proxy", "Family member (proxy)"


PLATFORM_ROLES = frozenset({Role.OPERATOR, Role.BILLING_STAFF})
STAFF_ROLES = frozenset({Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK, Role.BILLING})
PRACTICE_ROLES = STAFF_ROLES | {Role.CLIENT, Role.PROXY}


EMAIL_TAKEN = "Someone with this email already has an account here."


def email_normalise(email: str) -> str:
    """Emails are stored and compared in lower case: `Owner@Example.org` is `owner@example.org`."""
    return (email or "").strip().lower()


class UserQuerySet(models.QuerySet["User"]):
    def with_email(self, email: str) -> UserQuerySet:
        """The account with this email, whatever its case (on both sides: a row written before
        emails were lower-cased is still found), through the unique index on lower(email)."""
        return self.alias(email_lower=Lower("email")).filter(
            email_lower=Lower(Value(email.strip())))


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)

    def with_email(self, email: str) -> UserQuerySet:
        return self.get_queryset().with_email(email)

    def get_by_natural_key(self, username: str | None) -> User:
        # Sign-in (ModelBackend), createsuperuser and anything else that finds a person by
        # their email: case-insensitive.
        return self.with_email(username or "").get()

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=email_normalise(self.normalize_email(email)), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.OPERATOR)
        extra.setdefault("full_name", "Operator")
        return self.create_user(email, password, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True, error_messages={"unique": EMAIL_TAKEN})
    full_name = models.CharField(max_length=150)
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        constraints = [
            # One account per address whatever its case (the column is unique as typed too).
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique",
                                    violation_error_message=EMAIL_TAKEN),
        ]

    if TYPE_CHECKING:
        # Set on the request's user by django-otp's OTPMiddleware: signed in with a second step.
        def is_verified(self) -> bool: ...

    def clean(self) -> None:
        super().clean()
        self.email = email_normalise(self.email)

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_staff(self) -> bool:
        """Django's admin flag; no Tandem user uses the Django admin."""
        return False

    @property
    def is_practice_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_client(self) -> bool:
        return self.role == Role.CLIENT

    @property
    def is_proxy(self) -> bool:
        return self.role == Role.PROXY

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR
