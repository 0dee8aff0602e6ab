"""The consent a client reads and accepts before using the portal. Versioned: when the text
changes, the version goes up and every client is asked again at their next visit."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ConsentVersion:
    version: int
    # Lazy: read in the language of the page (the version is the same in every language).
    title: str | Promise
    paragraphs: tuple[str | Promise, ...]


CURRENT_CONSENT = ConsentVersion(
    version=1,
    title=_("Using your practice's portal"),
    paragraphs=(
        _("What you will see: the parts of the portal your practice has chosen for you, such as "
          "questionnaires and your own scores over time, mood check-ins, goals, homework, "
          "resources and your safety plan."),
        _("What your practice sees: everything you enter here (answers, scores, check-ins and "
          "anything you choose to share) is seen by the people caring for you at the practice and "
          "becomes part of your record. Every time someone opens your information it is logged."),
        _("Not for emergencies: messages and answers here are not watched around the clock. If "
          "you are in danger or thinking about harming yourself, call or text 988, call your "
          "local emergency number, or use \"Get help now\" on any page."),
        _("You can stop using the portal at any time by asking your practice. Signing in with "
          "your own password (and, if you like, a second step) keeps your account yours."),
    ),
)


def current_consent() -> ConsentVersion:
    """Read at call time, so a new version (or a test's) takes effect without a restart."""
    return CURRENT_CONSENT
