"""One user model, in two places: the public schema holds platform operators and billing staff,
each practice schema holds that practice's staff and clients. A person belongs to exactly one."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
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


PLATFORM_ROLES = frozenset({Role.OPERATOR, Role.BILLING_STAFF})
STAFF_ROLES = frozenset({Role.OWNER, Role.CLINICIAN, Role.FRONT_DESK, Role.BILLING})
PRACTICE_ROLES = STAFF_ROLES | {Role.CLIENT}


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.OPERATOR)
        extra.setdefault("full_name", "Operator")
        return self.create_user(email, password, is_superuser=True, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
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
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR
