"""Each engagement rule at its threshold: the client exactly at it is alerted, the client just
short of it (or the same client a second earlier) is not; the second practice, with look-alike
clients, is neither touched by the first's evaluation nor alerted by its own."""

from __future__ import annotations

from datetime import timedelta

from practice.care.models import Homework, HomeworkCompletion, JournalEntry
from practice.engagement import rules
from practice.engagement.models import JournalingAssignment
from practice.measurement.models import Alert, Assignment
from practice.notifications.kinds import get as get_kind
from practice.notifications.selectors import channels_for
from tests.engagement.helpers import (
    NOW,
    Seen,
    alerted,
    alerts,
    evaluate,
    inside,
    local_day,
    midnight,
    outbox,
    portal_client,
    score,
    set_rule,
)

SECOND = timedelta(seconds=1)
K = Alert.Kind


def test_no_sign_in_at_fourteen_days(alpha, beta) -> None:
    made = {}
    for world in (alpha, beta):
        with inside(world):
            made[world.practice.subdomain] = (
                portal_client(world, last_login=NOW - timedelta(days=14)),  # at threshold
                portal_client(world, last_login=NOW - timedelta(days=14) + SECOND),
                # Never signed in since accepting, 14 days ago: counted from the acceptance.
                portal_client(world, last_login=None, accepted_at=NOW - timedelta(days=14)),
            )
    silent, recent, never = made["alpha"]
    with inside(alpha):
        assert evaluate(alpha, NOW - SECOND).raised["no_sign_in"] == 0
        outcome = evaluate(alpha, NOW)
        assert outcome.raised["no_sign_in"] == 2
        assert alerts() == [
            Seen(silent.pk, K.NO_SIGN_IN, "Not signed in for 14 days", False,
                 (alpha.clinician.pk,)),
            Seen(never.pk, K.NO_SIGN_IN, "Not signed in for 14 days", False,
                 (alpha.clinician.pk,)),
        ]
        assert recent.pk not in alerted(K.NO_SIGN_IN)
        ids = list(Alert.objects.order_by("pk").values_list("pk", flat=True))
        # The clinician accepts alerts by email and push, and has no device for push.
        assert channels_for(alpha.clinician, get_kind("alert_raised")) == ["email", "push"]
        assert outbox() == [
            (alpha.clinician.pk, "email", f"alert:{alert_id}:{alpha.clinician.pk}:email",
             {"alert_id": alert_id}) for alert_id in ids]
    with inside(beta):
        assert alerts() == []
        assert outbox() == []


def test_journal_silence_at_five_days(alpha, beta) -> None:
    with inside(beta):
        quiet = portal_client(beta)
        JournalingAssignment.objects.create(client=quiet, assigned_by=beta.clinician,
                                            assigned_at=NOW - timedelta(days=30))
    with inside(alpha):
        at_threshold = portal_client(alpha)
        new_assignment = portal_client(alpha)
        wrote_recently = portal_client(alpha)
        ended = portal_client(alpha)
        not_assigned = portal_client(alpha)
        for client, assigned in ((at_threshold, 30), (new_assignment, 5), (wrote_recently, 30),
                                 (ended, 30)):
            JournalingAssignment.objects.create(client=client, assigned_by=alpha.clinician,
                                                assigned_at=NOW - timedelta(days=assigned))
        JournalingAssignment.objects.filter(client=ended).update(ended_at=NOW - timedelta(1))
        JournalEntry.objects.create(client=at_threshold, body="x",
                                    created_at=NOW - timedelta(days=5))
        JournalEntry.objects.create(client=wrote_recently, body="y",
                                    created_at=NOW - timedelta(days=5) + SECOND)
        for client in (ended, not_assigned):
            JournalEntry.objects.create(client=client, body="z",
                                        created_at=NOW - timedelta(days=40))
        assert evaluate(alpha, NOW - SECOND).raised["journal_silence"] == 0
        assert evaluate(alpha, NOW).raised["journal_silence"] == 2
        assert alerted(K.JOURNAL_SILENCE) == sorted([at_threshold.pk, new_assignment.pk])
        assert {seen.summary for seen in alerts()} == {"No journal entry for 5 days"}
    with inside(beta):
        assert alerts() == []


def test_mood_lower_on_three_check_ins_in_a_row(alpha, beta) -> None:
    with inside(beta):
        other = portal_client(beta)
        for days, mood in ((4, 8), (3, 7), (2, 6), (1, 5)):
            score(other, "mood", mood, NOW - timedelta(days=days))
    with inside(alpha):
        falling = portal_client(alpha)
        flat_once = portal_client(alpha)
        short = portal_client(alpha)
        for client, moods in ((falling, (8, 7, 6, 5)), (flat_once, (8, 7, 7, 5)),
                              (short, (7, 6, 5))):
            for days, mood in zip(range(len(moods), 0, -1), moods, strict=True):
                score(client, "mood", mood, NOW - timedelta(days=days))
        assert evaluate(alpha).raised["mood_decline"] == 1
        assert alerts() == [Seen(falling.pk, K.MOOD_DECLINE,
                                 "Mood lower on 3 check-ins in a row (8 → 5 of 10)", False,
                                 (alpha.clinician.pk,))]
        set_rule("mood_decline", threshold=2)
        evaluate(alpha)
        assert alerted(K.MOOD_DECLINE) == sorted([falling.pk, short.pk])
    with inside(beta):
        assert alerts() == []


def test_missed_check_ins_at_three(alpha, beta) -> None:
    yesterday = local_day() - timedelta(days=1)
    third_last = yesterday - timedelta(days=2)
    with inside(alpha):
        missed = portal_client(alpha)
        kept_up = portal_client(alpha)
        too_new = portal_client(alpha)
        never = portal_client(alpha)
        for client, starts in ((missed, 20), (kept_up, 20), (too_new, 2), (never, 10)):
            Assignment.objects.create(client=client, instrument_key="mood", frequency="daily",
                                      starts_on=local_day() - timedelta(days=starts),
                                      assigned_by=alpha.clinician)
        # The third-last check-in day began at local midnight: a second before it is a miss.
        score(missed, "mood", 6, midnight(third_last) - SECOND)
        score(kept_up, "mood", 6, midnight(third_last))
        assert evaluate(alpha).raised["missed_checkins"] == 2
        assert alerted(K.MISSED_CHECKINS) == sorted([missed.pk, never.pk])
        assert {seen.summary for seen in alerts()} == {"3 scheduled check-ins missed in a row"}
        # A check-in today ends it, even before today's is due.
        score(missed, "mood", 7, NOW - timedelta(hours=1))
        assert evaluate(alpha).cleared["missed_checkins"] == 1
        assert alerted(K.MISSED_CHECKINS) == [never.pk]
    with inside(beta):
        assert alerts() == []


def test_overdue_assessments_at_two_days(alpha, beta) -> None:
    day = local_day()
    with inside(alpha):
        once = portal_client(alpha)
        weekly_done = portal_client(alpha)
        weekly_missed = portal_client(alpha)
        Assignment.objects.create(client=once, instrument_key="phq9", frequency="once",
                                  starts_on=day - timedelta(days=3), assigned_by=alpha.clinician)
        for client in (weekly_done, weekly_missed):
            assignment = Assignment.objects.create(
                client=client, instrument_key="gad7", frequency="weekly",
                starts_on=day - timedelta(days=14), assigned_by=alpha.clinician)
            if client is weekly_done:
                response = score(client, "gad7", 5, NOW - timedelta(days=10))
                response.assignment, response.occurrence_date = assignment, assignment.starts_on
                response.save(update_fields=["assignment", "occurrence_date"])
        # "Once" is due at the end of its day: overdue by two days at 23:59:59 yesterday.
        due_plus_two = midnight(day) - SECOND
        assert evaluate(alpha, due_plus_two - SECOND).raised["overdue_assessments"] == 1
        assert alerted(K.OVERDUE_ASSESSMENTS) == [weekly_missed.pk]
        assert evaluate(alpha, due_plus_two).raised["overdue_assessments"] == 1
        assert alerted(K.OVERDUE_ASSESSMENTS) == sorted([once.pk, weekly_missed.pk])
        assert {seen.summary for seen in alerts()} == {"1 assessment overdue by 2 days or more"}
    with inside(beta):
        assert alerts() == []


def test_overdue_homework_at_two_days(alpha, beta) -> None:
    day = local_day()
    with inside(alpha):
        once = portal_client(alpha)
        weekly_done = portal_client(alpha)
        Homework.objects.create(client=once, instructions="Walk", due_on=day - timedelta(3),
                                created_by=alpha.clinician)
        weekly = Homework.objects.create(client=weekly_done, instructions="Log",
                                         due_on=day - timedelta(days=10), repeats_weekly=True,
                                         created_by=alpha.clinician)
        HomeworkCompletion.objects.create(homework=weekly, due_on=day - timedelta(days=3))
        due_plus_two = midnight(day) - SECOND
        assert evaluate(alpha, due_plus_two - SECOND).raised["overdue_homework"] == 0
        assert evaluate(alpha, due_plus_two).raised["overdue_homework"] == 1
        assert alerts() == [Seen(once.pk, K.OVERDUE_HOMEWORK,
                                 "1 homework task overdue by 2 days or more", False,
                                 (alpha.clinician.pk,))]
    with inside(beta):
        assert alerts() == []


def test_reliable_deterioration_on_any_instrument(alpha, beta) -> None:
    with inside(alpha):
        worse = portal_client(alpha)
        short = portal_client(alpha)
        anxious = portal_client(alpha)
        for client, instrument, totals in ((worse, "phq9", (9, 16, 15)),
                                           (short, "phq9", (9, 14)),
                                           (anxious, "gad7", (5, 9)),
                                           (anxious, "who5", (60, 56))):
            for days, total in zip(range(len(totals) * 7, 0, -7), totals, strict=True):
                score(client, instrument, total, NOW - timedelta(days=days))
        assert evaluate(alpha).raised["reliable_deterioration"] == 2
        assert [(seen.client_id, seen.summary) for seen in alerts()] == [
            (worse.pk, "PHQ-9: latest score reliably worse than the first (9 → 15)"),
            (anxious.pk, "GAD-7: latest score reliably worse than the first (5 → 9)"),
        ]
        # Two scores in a row: the first client's still are; the other has only one after
        # its first, so that condition has passed.
        set_rule("reliable_deterioration", threshold=2)
        outcome = evaluate(alpha)
        assert (outcome.raised["reliable_deterioration"],
                outcome.cleared["reliable_deterioration"]) == (0, 1)
        assert alerted(K.RELIABLE_DETERIORATION) == [worse.pk]
    with inside(beta):
        assert alerts() == []


def test_switches_and_modules(alpha, beta) -> None:
    with inside(alpha):
        client = portal_client(alpha, last_login=NOW - timedelta(days=30))
        set_rule("no_sign_in", threshold=14, is_enabled=False)
        outcome = evaluate(alpha)
        assert "no_sign_in" in outcome.skipped
        assert alerts() == []
        set_rule("no_sign_in", threshold=30)
        assert evaluate(alpha).raised["no_sign_in"] == 1
        assert alerted(K.NO_SIGN_IN) == [client.pk]
    # A module the practice has off: its rules do not run.
    alpha.practice.enabled_modules = [key for key in alpha.practice.enabled_modules
                                      if key not in ("journal", "mood_checkin")]
    with inside(alpha):
        skipped = evaluate(alpha).skipped
    assert sorted(skipped) == ["journal_silence", "missed_checkins", "mood_decline"]
    with inside(beta):
        assert sorted(evaluate(beta).skipped) == []


def test_immediate_rules_are_never_off() -> None:
    immediate = [rule.key for rule in rules.RULES if rule.is_immediate]
    assert immediate == ["risk_item", "urgent_contact"]
    assert all(not rule.is_switchable for rule in rules.RULES if rule.is_immediate)
    assert [rule.key for rule in rules.PERIODIC] == [
        "reliable_deterioration", "mood_decline", "missed_checkins", "journal_silence",
        "no_sign_in", "overdue_assessments", "overdue_homework", "not_on_track"]
