"""The owner's audit trail: every event of the practice's trail (who did what to which object,
when, from where), filtered by kind, person, object and date, paged, as CSV and through the
API. The trail holds no values (tenants.audit), so neither does anything shown here. Owner only
(Capability.MANAGE_PRACTICE); reading it is itself audited."""
