"""Every kind of audit event, in one registry: `audit_record` refuses an action that is not
here, so a typo cannot create a new kind of event, and the audit trail can be listed and
filtered by kind.

Names are `<thing>.<what happened>` in the past tense (`client.invited`, `form.signed`); a read of
someone's data is `<thing>.viewed` / `<things>.list_viewed` / `portal.<thing>_viewed`. Adding a
kind: add a member here and use it (`Action.CLIENT_INVITED`); the suite's runs write every kind
the code writes, and an unknown one fails them."""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    # alert
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    ALERT_INBOX_VIEWED = "alert.inbox_viewed"
    ALERT_RAISED = "alert.raised"
    ALERT_RESOLVED = "alert.resolved"
    ALERT_SNOOZED = "alert.snoozed"
    ALERT_SUPPORT_ANSWERED = "alert.support_answered"
    # alerts
    ALERTS_INBOX_VIEWED = "alerts.inbox_viewed"
    # appointment
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_OUTCOME_RECORDED = "appointment.outcome_recorded"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    # appointment_series
    APPOINTMENT_SERIES_BOOKED = "appointment_series.booked"
    APPOINTMENT_SERIES_CANCELLED = "appointment_series.cancelled"
    APPOINTMENT_SERIES_CHANGED = "appointment_series.changed"
    APPOINTMENT_SERIES_EXTENDED = "appointment_series.extended"
    # appointment_type
    APPOINTMENT_TYPE_ACTIVITY_CHANGED = "appointment_type.activity_changed"
    APPOINTMENT_TYPE_SAVED = "appointment_type.saved"
    # assignment
    ASSIGNMENT_CREATED = "assignment.created"
    ASSIGNMENT_ENDED = "assignment.ended"
    # audit_trail (the owner reading the trail itself)
    AUDIT_TRAIL_EXPORTED = "audit_trail.exported"
    AUDIT_TRAIL_VIEWED = "audit_trail.viewed"
    # auth
    AUTH_MFA_DISABLED = "auth.mfa_disabled"
    AUTH_MFA_ENABLED = "auth.mfa_enabled"
    AUTH_MFA_FAILED = "auth.mfa_failed"
    AUTH_MFA_VERIFIED = "auth.mfa_verified"
    AUTH_PASSWORD_RESET_COMPLETED = "auth.password_reset_completed"
    AUTH_PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"
    AUTH_SESSION_EXPIRED = "auth.session_expired"
    AUTH_SIGN_IN_FAILED = "auth.sign_in_failed"
    AUTH_SIGNED_IN = "auth.signed_in"
    AUTH_SIGNED_OUT = "auth.signed_out"
    AUTH_SIGNED_OUT_EVERYWHERE = "auth.signed_out_everywhere"
    # availability
    AVAILABILITY_EXCEPTION_ADDED = "availability.exception_added"
    AVAILABILITY_EXCEPTION_REMOVED = "availability.exception_removed"
    AVAILABILITY_WEEKLY_SET = "availability.weekly_set"
    # billing
    BILLING_CHECKOUT_STARTED = "billing.checkout_started"
    BILLING_COUPON_APPLIED = "billing.coupon_applied"
    BILLING_CUSTOMER_CREATED = "billing.customer_created"
    BILLING_GRACE_ENDED_EARLY = "billing.grace_ended_early"
    BILLING_PORTAL_OPENED = "billing.portal_opened"
    BILLING_STATE_CHANGED = "billing.state_changed"
    BILLING_SUBSCRIPTION_CANCELED = "billing.subscription_canceled"
    BILLING_TRIAL_EXTENDED = "billing.trial_extended"
    BILLING_TRIAL_STARTED = "billing.trial_started"
    # booking
    BOOKING_APPOINTMENT_VIEWED = "booking.appointment_viewed"
    BOOKING_APPOINTMENTS_LISTED = "booking.appointments_listed"
    BOOKING_CLIENT_APPOINTMENTS_VIEWED = "booking.client_appointments_viewed"
    BOOKING_CLIENT_LIST_VIEWED = "booking.client_list_viewed"
    BOOKING_ONLINE_APPROVAL_SET = "booking.online_approval_set"
    BOOKING_SCHEDULE_VIEWED = "booking.schedule_viewed"
    BOOKING_SETTINGS_UPDATED = "booking.settings_updated"
    BOOKING_WAITLIST_VIEWED = "booking.waitlist_viewed"
    BOOKING_WEEK_VIEWED = "booking.week_viewed"
    # calendar_feed
    CALENDAR_FEED_FETCHED = "calendar_feed.fetched"
    CALENDAR_FEED_REGENERATED = "calendar_feed.regenerated"
    CALENDAR_FEED_TURNED_OFF = "calendar_feed.turned_off"
    CALENDAR_FEED_UPDATED = "calendar_feed.updated"
    # care
    CARE_GOALS_VIEWED = "care.goals_viewed"
    CARE_HOMEWORK_CASELOAD_VIEWED = "care.homework_caseload_viewed"
    CARE_HOMEWORK_VIEWED = "care.homework_viewed"
    CARE_JOURNAL_VIEWED = "care.journal_viewed"
    CARE_RESOURCES_VIEWED = "care.resources_viewed"
    CARE_SAFETY_PLAN_VIEWED = "care.safety_plan_viewed"
    # client
    CLIENT_ACCESS_LIST_VIEWED = "client.access_list_viewed"
    CLIENT_ACCESS_REVOKED = "client.access_revoked"
    CLIENT_ACCESS_VIEWED = "client.access_viewed"
    CLIENT_ASSIGNMENTS_VIEWED = "client.assignments_viewed"
    CLIENT_CASELOAD_VIEWED = "client.caseload_viewed"
    CLIENT_EPISODES_VIEWED = "client.episodes_viewed"
    CLIENT_FHIR_EXPORTED = "client.fhir_exported"
    CLIENT_FORMS_VIEWED = "client.forms_viewed"
    CLIENT_INVITATION_ACCEPTED = "client.invitation_accepted"
    CLIENT_INVITATION_SENT = "client.invitation_sent"
    CLIENT_INVITED = "client.invited"
    CLIENT_PROGRESS_REPORT_GENERATED = "client.progress_report_generated"
    CLIENT_REVIEW_VIEWED = "client.review_viewed"
    CLIENT_SCORES_VIEWED = "client.scores_viewed"
    CLIENT_TODAY_VIEWED = "client.today_viewed"
    CLIENT_UTILIZATION_REVIEW_GENERATED = "client.utilization_review_generated"
    # document
    DOCUMENT_DOWNLOADED = "document.downloaded"
    DOCUMENT_SHARED = "document.shared"
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_VIEWED = "document.viewed"
    DOCUMENT_WITHDRAWN = "document.withdrawn"
    # documents
    DOCUMENTS_CLIENT_FILES_VIEWED = "documents.client_files_viewed"
    DOCUMENTS_FILES_LISTED = "documents.files_listed"
    DOCUMENTS_SETTINGS_CHANGED = "documents.settings_changed"
    # engagement
    ENGAGEMENT_RULE_UPDATED = "engagement.rule_updated"
    # episode
    EPISODE_CLOSED = "episode.closed"
    EPISODE_OPENED = "episode.opened"
    # expected_path
    EXPECTED_PATH_ADOPTED = "expected_path.adopted"
    EXPECTED_PATH_CALIBRATED = "expected_path.calibrated"
    EXPECTED_PATH_CLIENT_SHARING_CHANGED = "expected_path.client_sharing_changed"
    EXPECTED_PATH_DEFAULT_RESTORED = "expected_path.default_restored"
    EXPECTED_PATH_SETTINGS_CHANGED = "expected_path.settings_changed"
    EXPECTED_PATH_VIEWED = "expected_path.viewed"
    # family (proxies: practice.family)
    FAMILY_AGE_REACHED = "family.age_reached"
    FAMILY_CAREGIVER_ASSIGNED = "family.caregiver_assigned"
    FAMILY_CAREGIVER_ENDED = "family.caregiver_ended"
    FAMILY_CAREGIVER_REPORTED = "family.caregiver_reported"
    FAMILY_CLIENT_AGE_SET = "family.client_age_set"
    FAMILY_CONSENT_ACCEPTED = "family.consent_accepted"
    FAMILY_GRANTS_CHANGED = "family.grants_changed"
    FAMILY_ITEM_MARKED = "family.item_marked"
    FAMILY_LINK_CHANGED = "family.link_changed"
    FAMILY_LINK_REVOKED = "family.link_revoked"
    # Earlier rows only: a proxy's messages are now messaging's (messaging.message_sent).
    FAMILY_MESSAGE_SENT = "family.message_sent"
    FAMILY_PROXY_INVITATION_ACCEPTED = "family.proxy_invitation_accepted"
    FAMILY_PROXY_INVITATION_SENT = "family.proxy_invitation_sent"
    FAMILY_PROXY_INVITED = "family.proxy_invited"
    FAMILY_RECORD_VIEWED = "family.record_viewed"
    FAMILY_SETTINGS_UPDATED = "family.settings_updated"
    FAMILY_SUMMARY_SAVED = "family.summary_saved"
    # form
    FORM_DRAFT_SAVED = "form.draft_saved"
    FORM_PDF_EXPORTED = "form.pdf_exported"
    FORM_SEAL_CHECKED = "form.seal_checked"
    FORM_SHARED = "form.shared"
    FORM_SIGNED = "form.signed"
    FORM_SUBMITTED = "form.submitted"
    FORM_VIEWED = "form.viewed"
    FORM_WITHDRAWN = "form.withdrawn"
    # form_template
    FORM_TEMPLATE_ARCHIVED = "form_template.archived"
    FORM_TEMPLATE_CREATED = "form_template.created"
    FORM_TEMPLATE_EDITED = "form_template.edited"
    FORM_TEMPLATE_PUBLISHED = "form_template.published"
    FORM_TEMPLATE_RESTORED = "form_template.restored"
    # forms
    FORMS_LIST_VIEWED = "forms.list_viewed"
    # goal
    GOAL_CREATED = "goal.created"
    GOAL_PROGRESS_RECORDED = "goal.progress_recorded"
    GOAL_STATUS_CHANGED = "goal.status_changed"
    # homework
    HOMEWORK_ASSIGNED = "homework.assigned"
    HOMEWORK_COMPLETED = "homework.completed"
    HOMEWORK_ENDED = "homework.ended"
    # instrument
    INSTRUMENT_DRAFT_SAVED = "instrument.draft_saved"
    INSTRUMENT_PUBLISHED = "instrument.published"
    # invoice
    INVOICE_CREATED = "invoice.created"
    INVOICE_DISCARDED = "invoice.discarded"
    INVOICE_EDITED = "invoice.edited"
    INVOICE_PAID = "invoice.paid"
    INVOICE_PDF_EXPORTED = "invoice.pdf_exported"
    INVOICE_SHARED = "invoice.shared"
    INVOICE_VIEWED = "invoice.viewed"
    INVOICE_VOIDED = "invoice.voided"
    # invoices
    INVOICES_LIST_VIEWED = "invoices.list_viewed"
    # journal
    JOURNAL_ENTRY_CREATED = "journal.entry_created"
    JOURNAL_SHARING_CHANGED = "journal.sharing_changed"
    # journaling
    JOURNALING_ASSIGNED = "journaling.assigned"
    JOURNALING_ENDED = "journaling.ended"
    JOURNALING_VIEWED = "journaling.viewed"
    # messaging
    MESSAGING_CONVERSATION_CLOSED = "messaging.conversation_closed"
    MESSAGING_CONVERSATION_REOPENED = "messaging.conversation_reopened"
    MESSAGING_CONVERSATION_STARTED = "messaging.conversation_started"
    MESSAGING_CONVERSATION_VIEWED = "messaging.conversation_viewed"
    MESSAGING_INBOX_VIEWED = "messaging.inbox_viewed"
    MESSAGING_MESSAGE_EDITED = "messaging.message_edited"
    MESSAGING_MESSAGE_SENT = "messaging.message_sent"
    MESSAGING_SETTINGS_CHANGED = "messaging.settings_changed"
    # notifications
    NOTIFICATIONS_PREFERENCE_UPDATE = "notifications.preference_update"
    NOTIFICATIONS_PUSH_SUBSCRIBED = "notifications.push_subscribed"
    NOTIFICATIONS_PUSH_TEST_REQUESTED = "notifications.push_test_requested"
    NOTIFICATIONS_PUSH_UNSUBSCRIBED = "notifications.push_unsubscribed"
    NOTIFICATIONS_SETTINGS_UPDATE = "notifications.settings_update"
    # outcomes
    OUTCOMES_REPORT_EXPORTED = "outcomes.report_exported"
    OUTCOMES_REPORT_VIEWED = "outcomes.report_viewed"
    # portal
    PORTAL_APPOINTMENT_VIEWED = "portal.appointment_viewed"
    PORTAL_APPOINTMENTS_VIEWED = "portal.appointments_viewed"
    PORTAL_ASSESSMENTS_VIEWED = "portal.assessments_viewed"
    PORTAL_BOOKING_VIEWED = "portal.booking_viewed"
    PORTAL_CONSENT_ACCEPTED = "portal.consent_accepted"
    # Written until issue 14: the home page is the client's summary of their own record and
    # writes nothing now (docs/security.md); kept so that older rows still read.
    PORTAL_DASHBOARD_VIEWED = "portal.dashboard_viewed"
    PORTAL_DOCUMENT_DOWNLOADED = "portal.document_downloaded"
    PORTAL_DOCUMENTS_VIEWED = "portal.documents_viewed"
    PORTAL_FORM_PDF_DOWNLOADED = "portal.form_pdf_downloaded"
    PORTAL_FORM_VIEWED = "portal.form_viewed"
    PORTAL_FORMS_VIEWED = "portal.forms_viewed"
    PORTAL_GOALS_VIEWED = "portal.goals_viewed"
    PORTAL_HOMEWORK_VIEWED = "portal.homework_viewed"
    PORTAL_INVOICE_PDF_DOWNLOADED = "portal.invoice_pdf_downloaded"
    PORTAL_INVOICE_VIEWED = "portal.invoice_viewed"
    PORTAL_INVOICES_VIEWED = "portal.invoices_viewed"
    PORTAL_JOURNAL_VIEWED = "portal.journal_viewed"
    PORTAL_MESSAGES_VIEWED = "portal.messages_viewed"
    PORTAL_MOOD_VIEWED = "portal.mood_viewed"
    PORTAL_OFFERS_VIEWED = "portal.offers_viewed"
    PORTAL_RESOURCE_VIEWED = "portal.resource_viewed"
    PORTAL_RESOURCES_VIEWED = "portal.resources_viewed"
    PORTAL_RESPONSE_VIEWED = "portal.response_viewed"
    PORTAL_RESULT_VIEWED = "portal.result_viewed"
    PORTAL_SAFETY_PLAN_VIEWED = "portal.safety_plan_viewed"
    PORTAL_SCORES_VIEWED = "portal.scores_viewed"
    PORTAL_SESSION_JOINED = "portal.session_joined"
    PORTAL_SETTINGS_CHANGED = "portal.settings_changed"
    PORTAL_URGENT_CONTACT_VIEWED = "portal.urgent_contact_viewed"
    PORTAL_WAITLIST_VIEWED = "portal.waitlist_viewed"
    # platform
    PLATFORM_MIGRATE_ALL_STARTED = "platform.migrate_all_started"
    # practice
    PRACTICE_CUSTOM_DOMAIN_ADDED = "practice.custom_domain_added"
    PRACTICE_CUSTOM_DOMAIN_FAILING = "practice.custom_domain_failing"
    PRACTICE_CUSTOM_DOMAIN_REMOVED = "practice.custom_domain_removed"
    PRACTICE_CUSTOM_DOMAIN_VERIFIED = "practice.custom_domain_verified"
    PRACTICE_CUSTOM_DOMAIN_VERIFIES_AGAIN = "practice.custom_domain_verifies_again"
    PRACTICE_DELETED = "practice.deleted"
    PRACTICE_DELETION_SCHEDULED = "practice.deletion_scheduled"
    PRACTICE_EXPORTED = "practice.exported"
    PRACTICE_EXPORT_BUILT = "practice.export_built"
    PRACTICE_EXPORT_DOWNLOADED = "practice.export_downloaded"
    PRACTICE_EXPORT_FAILED = "practice.export_failed"
    PRACTICE_EXPORT_REQUESTED = "practice.export_requested"
    PRACTICE_IMPORTED = "practice.imported"
    PRACTICE_MOVED = "practice.moved"
    PRACTICE_PROVISIONED = "practice.provisioned"
    PRACTICE_REACTIVATED = "practice.reactivated"
    PRACTICE_SECURITY_CHANGED = "practice.security_changed"
    PRACTICE_SUBDOMAIN_RENAMED = "practice.subdomain_renamed"
    PRACTICE_SUSPENDED = "practice.suspended"
    # resource
    RESOURCE_ARCHIVED = "resource.archived"
    RESOURCE_CREATED = "resource.created"
    RESOURCE_SHARED = "resource.shared"
    RESOURCE_UNSHARED = "resource.unshared"
    # response
    RESPONSE_ENTERED_IN_ERROR = "response.entered_in_error"
    RESPONSE_SUBMITTED = "response.submitted"
    RESPONSE_VIEWED = "response.viewed"
    # safety_plan
    SAFETY_PLAN_CLIENT_ADDED = "safety_plan.client_added"
    SAFETY_PLAN_CREATED = "safety_plan.created"
    SAFETY_PLAN_UPDATED = "safety_plan.updated"
    # session_questionnaire
    SESSION_QUESTIONNAIRE_ADDED = "session_questionnaire.added"
    SESSION_QUESTIONNAIRE_ENDED = "session_questionnaire.ended"
    # settings
    SETTINGS_BRANDING_CHANGED = "settings.branding_changed"
    SETTINGS_ENABLED_MODULES_CHANGED = "settings.enabled_modules_changed"
    SETTINGS_INSTRUMENT_KEYS_CHANGED = "settings.instrument_keys_changed"
    SETTINGS_MESSAGING_POLICY_CHANGED = "settings.messaging_policy_changed"
    SETTINGS_RELIABLE_CHANGE_THRESHOLDS_CHANGED = "settings.reliable_change_thresholds_changed"
    # releases of information, disclosures, 42 CFR Part 2
    DISCLOSURE_ACCOUNTING_VIEWED = "disclosure.accounting_viewed"
    DISCLOSURE_CODE_REFUSED = "disclosure.code_refused"
    DISCLOSURE_DOWNLOADED = "disclosure.downloaded"
    DISCLOSURE_LINK_VIEWED = "disclosure.link_viewed"
    DISCLOSURE_MADE = "disclosure.made"
    DISCLOSURE_PART2_SETTING_CHANGED = "disclosure.part_two_setting_changed"
    DISCLOSURE_PART2_TAGGED = "disclosure.part_two_tagged"
    DISCLOSURE_PART2_UNTAGGED = "disclosure.part_two_untagged"
    DISCLOSURE_RESTRICTION_LIFTED = "disclosure.restriction_lifted"
    DISCLOSURE_RESTRICTION_RECORDED = "disclosure.restriction_recorded"
    RELEASE_CREATED = "release.created"
    RELEASE_REVOKED = "release.revoked"
    RELEASE_SIGNED = "release.signed"
    RELEASE_WITHDRAWN = "release.withdrawn"
    # staff
    STAFF_INVITATION_ACCEPTED = "staff.invitation_accepted"
    STAFF_INVITATION_REVOKED = "staff.invitation_revoked"
    STAFF_INVITED = "staff.invited"
    STAFF_REMOVED = "staff.removed"
    STAFF_ROLE_CHANGED = "staff.role_changed"
    # waitlist
    WAITLIST_JOINED = "waitlist.joined"
    WAITLIST_LEFT = "waitlist.left"
    WAITLIST_OFFER_ACCEPTED = "waitlist.offer_accepted"
    WAITLIST_OFFER_DECLINED = "waitlist.offer_declined"
    WAITLIST_OFFER_WITHDRAWN = "waitlist.offer_withdrawn"
    WAITLIST_OFFERS_LAPSED = "waitlist.offers_lapsed"
    WAITLIST_OFFERS_SENT = "waitlist.offers_sent"


class UnknownAuditAction(ValueError):
    """An action that is not in the registry (a typo, or a new kind not added to `Action`)."""


def action_checked(action: str) -> Action:
    try:
        return Action(action)
    except ValueError:
        raise UnknownAuditAction(
            f"{action!r} is not a kind of audit event: add it to tenants.audit.actions.Action"
        ) from None
