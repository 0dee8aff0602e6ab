"""The `practice` app's tables. Staff and client rows live here; measurement's and care's live
with their features (practice/measurement/models.py, practice/care/models.py) and are imported
here so the app registers them: they keep the `practice` app label, so their tables, migrations
and content types are the same as before they moved."""

from practice.care.models import (
    ClientResource,
    Goal,
    GoalMilestone,
    GoalProgress,
    Homework,
    HomeworkCompletion,
    JournalEntry,
    Resource,
)
from practice.measurement.models import (
    Alert,
    Assignment,
    PracticeInstrument,
    Response,
)
from practice.models.clients import ClientProfile, SafetyPlan
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
