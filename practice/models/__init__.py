"""Practice-schema data, one module per area."""

from practice.models.care import (
    ClientResource,
    Goal,
    GoalMilestone,
    GoalProgress,
    Homework,
    HomeworkCompletion,
    JournalEntry,
    Resource,
)
from practice.models.clients import ClientProfile, SafetyPlan
from practice.models.measurement import (
    Alert,
    Assignment,
    PracticeInstrument,
    Response,
)
from practice.models.staff import STAFF_ROLE_CHOICES, StaffInvitation

__all__ = [
    "STAFF_ROLE_CHOICES",
    "Alert",
    "Assignment",
    "ClientProfile",
    "ClientResource",
    "Goal",
    "GoalMilestone",
    "GoalProgress",
    "Homework",
    "HomeworkCompletion",
    "JournalEntry",
    "PracticeInstrument",
    "Resource",
    "Response",
    "SafetyPlan",
    "StaffInvitation",
]
