"""What a practice's subdomain may be. Pure: the uniqueness check is the caller's."""

from __future__ import annotations

import re

MIN_LENGTH = 3
MAX_LENGTH = 40

RESERVED_SUBDOMAINS = frozenset(
    {
        "www", "admin", "administrator", "api", "app", "apps", "static", "media", "assets",
        "cdn", "mail", "email", "smtp", "imap", "pop", "mx", "ftp", "help", "support", "status",
        "billing", "portal", "login", "signin", "signup", "register", "auth", "account",
        "accounts", "dashboard", "docs", "blog", "dev", "staging", "test", "demo-admin",
        "internal", "ops", "operator", "operators", "platform", "root", "system", "security",
        "tandem", "practice_template", "public", "webhooks", "stripe", "healthz", "readyz",
        "metrics", "ns1", "ns2", "localhost",
    }
)

_ALLOWED = re.compile(r"^[a-z0-9-]+$")


def subdomain_problem(candidate: str) -> str | None:
    """The exact reason `candidate` cannot be a subdomain, or None if its shape is fine."""
    if not candidate:
        return "Choose a subdomain."
    if len(candidate) < MIN_LENGTH or len(candidate) > MAX_LENGTH:
        return f"Use {MIN_LENGTH} to {MAX_LENGTH} characters (this has {len(candidate)})."
    # fullmatch: `$` alone would also accept a trailing newline ("alpha\n").
    if not _ALLOWED.fullmatch(candidate):
        return "Use only lowercase letters (a-z), digits and hyphens."
    if candidate.startswith("-") or candidate.endswith("-"):
        return "A hyphen can only stand inside the subdomain, not at its start or end."
    if "--" in candidate:
        return "Use single hyphens only."
    if candidate in RESERVED_SUBDOMAINS:
        return f"“{candidate}” is reserved for the platform. Choose another."
    return None
