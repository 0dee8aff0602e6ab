"""The registry of portal modules a practice can turn on or off.

A module that is off disappears from every menu, and its pages and API endpoints answer 404 for
everyone in that practice (the routing middleware checks the URL namespace, so a module's URLs are
gated as soon as they are included under its namespace). Turning a module off deletes nothing.
Crisis help is not a module: it is never off.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Module:
    key: str
    label: str
    description: str
    default_on: bool = True
    # URL names of the module's landing pages, set as the module's pages arrive.
    staff_url: str | None = None
    client_url: str | None = None


MODULES: tuple[Module, ...] = (
    Module("assessments", "Assessments", "Questionnaires such as PHQ-9 and GAD-7, with scores",
           client_url="portal:assessments:list"),
    Module("mood_checkin", "Mood check-in", "A 30-second daily mood rating",
           client_url="portal:mood_checkin:checkin"),
    Module("journal", "Journal", "Private or shared journal entries",
           client_url="portal:journal:list"),
    Module("goals", "Goals", "Treatment goals and progress",
           client_url="portal:goals:list"),
    Module("homework", "Homework", "Tasks between sessions",
           client_url="portal:homework:list"),
    Module("resources", "Resources", "A library of links, texts and files",
           client_url="portal:resources:list"),
    Module("safety_plan", "Safety plan", "The client's safety plan, also offline",
           client_url="portal:safety_plan:plan"),
    Module("messaging", "Messages", "Secure messages with the practice",
           staff_url="messaging:inbox", client_url="portal:messaging:list"),
    Module("documents", "Documents and forms", "Forms to fill and sign, files to share",
           staff_url="documents:files:list", client_url="portal:documents:files:list"),
    Module("booking", "Appointments", "Appointments and online booking", default_on=False,
           staff_url="booking:schedule", client_url="portal:booking:list"),
    Module("billing", "Billing", "Invoices shared with clients", default_on=False,
           staff_url="billing:list", client_url="portal:billing:list"),
)
MODULE_KEYS: frozenset[str] = frozenset(module.key for module in MODULES)
_BY_KEY = {module.key: module for module in MODULES}


def default_modules() -> list[str]:
    return [module.key for module in MODULES if module.default_on]


def module(key: str) -> Module:
    return _BY_KEY[key]


def enabled_modules(keys: list[str] | tuple[str, ...]) -> tuple[Module, ...]:
    """Modules in registry order, keeping only known keys."""
    wanted = set(keys)
    return tuple(module for module in MODULES if module.key in wanted)


class MessagingPolicyKind:
    REPLY_ONLY = "reply_only"
    NEVER_INITIATE = "never_initiate"
    ASSIGNED_ONLY = "assigned_only"
    ALL = "all"

    CHOICES = (
        (REPLY_ONLY, "Reply only: clients reply to conversations staff started; a conversation "
                     "closes 48 hours after the last staff message if the client has not replied"),
        (NEVER_INITIATE, "Never initiate: clients cannot start conversations"),
        (ASSIGNED_ONLY, "Assigned only: staff message their own caseload, clients their "
                        "assigned clinicians"),
        (ALL, "All: any client can start a conversation at any time"),
    )
