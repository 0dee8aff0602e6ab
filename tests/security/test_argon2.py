"""Passwords are hashed with Argon2id at OWASP's parameters (19 MiB, t=2, p=1), not Django's
100 MiB default; a hash made with other parameters is re-hashed at the next sign-in."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher, identify_hasher
from django.test import Client
from django_tenants.utils import schema_context

from config.hashers import OwaspArgon2PasswordHasher
from tenants.accounts.models import User
from tests.conftest import PASSWORD, PracticeWorld
from tests.practice.test_password_reset import _base_password_hashers

OWASP = "$m=19456,t=2,p=1$"
DJANGO_DEFAULT = "$m=102400,t=2,p=8$"


def stored_hash(world: PracticeWorld, user: User) -> str:
    with schema_context(world.practice.schema_name):
        return User.objects.get(pk=user.pk).password


def test_base_settings_hash_with_argon2id_at_owasps_parameters(settings):
    settings.PASSWORD_HASHERS = _base_password_hashers()
    hasher = get_hasher("default")

    assert type(hasher) is OwaspArgon2PasswordHasher
    assert (hasher.algorithm, hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (
        "argon2", 2, 19 * 1024, 1)
    encoded = hasher.encode(PASSWORD, hasher.salt())
    assert encoded.startswith("argon2$argon2id$v=19" + OWASP)
    assert hasher.verify(PASSWORD, encoded)
    assert not hasher.must_update(encoded)


def test_a_hash_with_djangos_default_parameters_is_upgraded_at_the_next_sign_in(
        alpha, beta, settings):
    settings.PASSWORD_HASHERS = _base_password_hashers()
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert DJANGO_DEFAULT in old
    for world in (alpha, beta):
        with schema_context(world.practice.schema_name):
            User.objects.filter(pk=world.owner.pk).update(password=old)
    assert type(identify_hasher(old)) is OwaspArgon2PasswordHasher  # still recognised
    assert identify_hasher(old).must_update(old)

    signed_in = Client(HTTP_HOST=alpha.host).post(
        "/accounts/sign-in/", {"username": "Owner@Example.org", "password": PASSWORD})

    assert signed_in.status_code == 302
    upgraded = stored_hash(alpha, alpha.owner)
    assert upgraded.startswith("argon2$argon2id$v=19" + OWASP)
    with schema_context(alpha.practice.schema_name):
        assert User.objects.get(pk=alpha.owner.pk).check_password(PASSWORD)
    # Beta's owner has not signed in: their old hash is as it was.
    assert stored_hash(beta, beta.owner) == old


def test_a_failed_sign_in_does_not_rehash(alpha, beta, settings):
    settings.PASSWORD_HASHERS = _base_password_hashers()
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    with schema_context(alpha.practice.schema_name):
        User.objects.filter(pk=alpha.owner.pk).update(password=old)

    refused = Client(HTTP_HOST=alpha.host).post(
        "/accounts/sign-in/", {"username": "owner@example.org", "password": "wrong-one-123"})

    assert refused.status_code == 200
    assert stored_hash(alpha, alpha.owner) == old
