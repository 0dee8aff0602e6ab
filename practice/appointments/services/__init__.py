"""Writes of appointments: booking and its outcomes, setting up, reminders."""

from practice.appointments.services.booking import (
    OUTCOMES,
    appointment_book,
    appointment_book_online,
    appointment_cancel,
    appointment_record_outcome,
    appointment_reschedule,
)
from practice.appointments.services.common import SLOT_TAKEN, BookingError, SlotTaken
from practice.appointments.services.reminders import reminders_enqueue_due
from practice.appointments.services.setup import (
    AppointmentTypeInput,
    BookingSettingsInput,
    appointment_type_save,
    appointment_type_set_active,
    availability_exception_add,
    availability_exception_remove,
    availability_set_weekly,
    booking_settings_update,
    calendar_feed_regenerate,
    calendar_feed_turn_off,
    calendar_feed_update,
    session_questionnaire_add,
    session_questionnaire_end,
)

__all__ = [
    "OUTCOMES",
    "SLOT_TAKEN",
    "AppointmentTypeInput",
    "BookingError",
    "BookingSettingsInput",
    "SlotTaken",
    "appointment_book",
    "appointment_book_online",
    "appointment_cancel",
    "appointment_record_outcome",
    "appointment_reschedule",
    "appointment_type_save",
    "appointment_type_set_active",
    "availability_exception_add",
    "availability_exception_remove",
    "availability_set_weekly",
    "booking_settings_update",
    "calendar_feed_regenerate",
    "calendar_feed_turn_off",
    "calendar_feed_update",
    "reminders_enqueue_due",
    "session_questionnaire_add",
    "session_questionnaire_end",
]
