"""Labels a practice types that its clients read (a type of session, how soon messages are
answered): the practice may give each a Spanish wording; a Spanish client sees it, and the
practice's own wording when it gave none. Staff pages are always in English (portal
ClientLanguageMiddleware), so they show the practice's own wording."""

from __future__ import annotations

from django.utils import translation


def is_spanish(language: str | None = None) -> bool:
    return (language or translation.get_language() or "en").split("-")[0] == "es"


def client_label(english: str, spanish: str, *, language: str | None = None) -> str:
    """The label in the language being rendered (the active one unless told)."""
    if is_spanish(language) and spanish.strip():
        return spanish
    return english
