"""Password hashing at OWASP's Argon2id parameters.

Django's default Argon2 uses 100 MiB and 8 lanes per hash: four sign-ins at once hold about
400 MiB in one web worker. OWASP's Password Storage Cheat Sheet gives m=19 MiB, t=2, p=1 as
the minimum for Argon2id. The algorithm name stays "argon2", so existing hashes are still
recognised; `must_update` sees their other parameters and Django re-hashes the password with
these at the person's next sign-in."""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2PasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
