"""Practice-schema data, one module per area."""

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
    "PracticeInstrument",
    "Response",
    "SafetyPlan",
    "StaffInvitation",
]
