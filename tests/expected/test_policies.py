"""The expected path, by hand: proportional change on ln(1 + weeks) with a tolerance band, for
three PHQ-9 baselines (and WHO-5, where a higher score is better), the PHQ-9 floor rule, the
status of a series (green, amber, red, grey), and the robust fit recovering the parameters that
generated a synthetic practice."""

from __future__ import annotations

import math
import random

import pytest

from practice.expected import policies
from practice.expected.policies import Observation, PathStatus, TimeScale, expected_at, read_path

PHQ9 = policies.default_models()["phq9"]
PHQ9_SESSIONS = policies.default_models(TimeScale.SESSIONS)["phq9"]


def band(model, baseline, weeks):
    return expected_at(model, model.stratum_for(baseline), baseline, weeks)


@pytest.mark.parametrize(("baseline", "weeks", "stratum", "expected", "lower", "upper"), [
    # 20 (severe, tolerance 6), week 4: 1 - 0.2 ln 5 = 0.678112; 20 x 0.678112 = 13.5622
    (20, 4, "severe", 13.5622, 7.5622, 19.5622),
    # 12 (moderate, tolerance 4), week 9: 1 - 0.2 ln 10 = 0.539483; 12 x that = 6.4738
    (12, 9, "moderate", 6.4738, 2.4738, 10.4738),
    # 16 (moderately severe, tolerance 5), week 12: 1 - 0.2 ln 13 = 0.487010 -> 7.7922
    (16, 12, "moderately_severe", 7.7922, 2.7922, 12.7922),
    # Past the 16-week horizon the path is flat: 1 - 0.2 ln 17 = 0.433357 -> 8.6671
    (20, 30, "severe", 8.6671, 2.6671, 14.6671),
    # At baseline the range is the baseline give or take the tolerance, kept in 0..27.
    (22, 0, "severe", 22.0, 16.0, 27.0),
])
def test_phq9_expected_paths_by_hand(baseline, weeks, stratum, expected, lower, upper) -> None:
    found = band(PHQ9, baseline, weeks)
    assert PHQ9.stratum_for(baseline).band == stratum
    assert (round(found.expected, 4), round(found.lower, 4), round(found.upper, 4)) == (
        expected, lower, upper)


@pytest.mark.parametrize(("baseline", "sessions", "stratum", "expected", "lower", "upper"), [
    # On sessions held since the baseline: k 0.2, flat after 20 sessions (a CBT course).
    # 12 (moderate, tolerance 4), session 3: 1 - 0.2 ln 4 = 0.722741; 12 x that = 8.6729
    (12, 3, "moderate", 8.6729, 4.6729, 12.6729),
    # 16 (moderately severe, tolerance 5), session 18: 1 - 0.2 ln 19 = 0.411112 -> 6.5778
    # (on weeks, 18 is past the 16-week horizon: 1 - 0.2 ln 17 = 0.433357 -> 6.9337)
    (16, 18, "moderately_severe", 6.5778, 1.5778, 11.5778),
    # 20 (severe, tolerance 6), session 24: flat after session 20, 1 - 0.2 ln 21 = 0.391096
    (20, 24, "severe", 7.8219, 1.8219, 13.8219),
])
def test_phq9_expected_paths_on_sessions_by_hand(baseline, sessions, stratum, expected, lower,
                                                 upper) -> None:
    assert (PHQ9_SESSIONS.scale, PHQ9_SESSIONS.horizon, PHQ9_SESSIONS.earliest) == (
        TimeScale.SESSIONS, 20.0, 6.0)
    found = band(PHQ9_SESSIONS, baseline, sessions)
    assert PHQ9_SESSIONS.stratum_for(baseline).band == stratum
    assert (round(found.expected, 4), round(found.lower, 4), round(found.upper, 4)) == (
        expected, lower, upper)
    if sessions > 16:
        on_weeks = band(PHQ9, baseline, sessions)
        assert round(on_weeks.expected, 4) != expected


def test_on_sessions_not_on_track_waits_for_session_6_and_the_floor_rule_reads_weeks() -> None:
    # Baseline 8 (mild, tolerance 3), fortnightly sessions: sessions 4 and 5 at weeks 8 and
    # 10; uppers 8 x (1 - 0.2 ln 5) + 3 = 8.4249 and 8 x (1 - 0.2 ln 6) + 3 = 8.1332.
    late = read_path(PHQ9_SESSIONS, 8, [(4.0, 9.0), (5.0, 9.0)], weeks=[8.0, 10.0])
    assert (late.status, late.reason, late.worse_in_a_row, late.scale, late.unit) == (
        PathStatus.WATCH, "early", 2, TimeScale.SESSIONS, "session")
    # The same scores read on weeks (8 and 10, past week 6) would be "not on track".
    assert read_path(PHQ9, 8, [(8.0, 9.0), (10.0, 9.0)]).status is PathStatus.NOT_ON_TRACK
    # Session 6 (upper 8 x (1 - 0.2 ln 7) + 3 = 7.8865): now not on track.
    red = read_path(PHQ9_SESSIONS, 8, [(5.0, 9.0), (6.0, 9.0)], weeks=[10.0, 12.0])
    assert (red.status, red.reason, round(red.latest.upper, 4), red.latest.time,
            red.latest_weeks) == (PathStatus.NOT_ON_TRACK, "band", 7.8865, 6.0, 12.0)
    # The floor rule stays on weeks: 17 at session 2 is not on track at week 4, not at week 3.
    assert read_path(PHQ9_SESSIONS, 20, [(2.0, 17.0)], weeks=[4.0]).reason == "floor_rule"
    assert read_path(PHQ9_SESSIONS, 20, [(5.0, 17.0)], weeks=[3.0]).status is (
        PathStatus.ON_TRACK)
    with pytest.raises(ValueError, match="weeks"):
        read_path(PHQ9_SESSIONS, 20, [(2.0, 17.0)])


def test_who5_higher_is_better_falls_towards_100() -> None:
    who5 = policies.default_models()["who5"]
    # 28 (poor, k 0.15, tolerance 12), week 8: 1 - 0.15 ln 9 = 0.670416;
    # 100 - 72 x 0.670416 = 51.7300, band 39.73 .. 63.73; worse side is below.
    found = band(who5, 28, 8)
    assert (round(found.expected, 4), round(found.lower, 4), round(found.upper, 4)) == (
        51.7300, 39.7300, 63.7300)
    assert policies.is_worse(who5, found, 39.0) is True
    assert policies.is_worse(who5, found, 70.0) is False


def test_no_path_below_the_clinical_range() -> None:
    assert PHQ9.stratum_for(4) is None  # minimal: nothing to recover from
    assert read_path(PHQ9, 4, [(6.0, 9.0)]).status is PathStatus.TOO_FEW
    assert read_path(PHQ9, 9.5, []).stratum.band == "mild"  # up to the next band's bound


def test_floor_rule_cut_points() -> None:
    stratum = PHQ9.stratum_for(20)
    hits = {(weeks, score): policies.floor_rule_hit(PHQ9, stratum, weeks, score)
            for weeks, score in ((3.9, 26), (4, 16), (4, 17), (8.9, 16), (9, 13), (13.9, 12),
                                 (14, 9), (14, 8))}
    assert hits == {(3.9, 26): False, (4, 16): False, (4, 17): True, (8.9, 16): False,
                    (9, 13): True, (13.9, 12): False, (14, 9): True, (14, 8): False}
    # A practice's adopted curve replaces the published cut-points.
    local = PHQ9.with_stratum(policies.Stratum(
        band="severe", lower=20, upper=math.inf, k=0.2, tolerance=6, version="practice-1",
        source="", episodes=60, uses_floor_rule=False))
    assert policies.floor_rule_hit(local, local.stratum_for(20), 4, 17) is False


def test_status_of_a_series() -> None:
    # Baseline 20: week 2 band upper = 20 x (1 - 0.2 ln 3) + 6 = 21.6056
    assert read_path(PHQ9, 20, [(2.0, 18.0)]).status is PathStatus.ON_TRACK
    early = read_path(PHQ9, 20, [(2.0, 22.0)])
    assert (early.status, early.reason, early.worse_in_a_row) == (PathStatus.WATCH, "early", 1)
    # Two worse points in a row, but before week 6: still only "watch".
    assert read_path(PHQ9, 20, [(2.0, 22.0), (3.0, 22.0)]).status is PathStatus.WATCH
    # Baseline 8 (mild, tolerance 3): week 5 upper = 8 x (1 - 0.2 ln 6) + 3 = 8.1332,
    # week 6 upper = 8 x (1 - 0.2 ln 7) + 3 = 7.8865 (far below the floor rule's 17).
    one = read_path(PHQ9, 8, [(5.0, 8.0), (6.0, 9.0)])
    assert (one.status, one.worse_in_a_row) == (PathStatus.WATCH, 1)
    two = read_path(PHQ9, 8, [(5.0, 9.0), (6.0, 9.0)])
    assert (two.status, two.reason) == (PathStatus.NOT_ON_TRACK, "band")
    assert read_path(PHQ9, 8, [(5.0, 9.0), (6.0, 9.0)], consecutive=3).status is PathStatus.WATCH
    # Floor rule alone: 17 at week 4 (within the band, upper 19.56) is not on track.
    floor = read_path(PHQ9, 20, [(4.0, 17.0)])
    assert (floor.status, floor.reason) == (PathStatus.NOT_ON_TRACK, "floor_rule")
    assert floor.colour == "red"


def test_parameters_recorded_on_an_alert() -> None:
    assert policies.parameters(PHQ9, PHQ9.stratum_for(12)) == {
        "instrument": "phq9", "version": "tandem-default-2", "scale": "weeks", "band": "moderate",
        "k": 0.2, "tolerance": 4.0, "floor": 0.2, "horizon": 16.0, "earliest": 6.0,
        "floor_rule": [[4.0, 17.0], [9.0, 13.0], [14.0, 9.0]], "episodes": None}


def test_parameters_on_sessions_recorded_on_an_alert() -> None:
    assert policies.parameters(PHQ9_SESSIONS, PHQ9_SESSIONS.stratum_for(12)) == {
        "instrument": "phq9", "version": "tandem-default-2", "scale": "sessions",
        "band": "moderate", "k": 0.2, "tolerance": 4.0, "floor": 0.2, "horizon": 20.0,
        "earliest": 6.0, "floor_rule": [[4.0, 17.0], [9.0, 13.0], [14.0, 9.0]],
        "episodes": None}


def test_every_default_has_a_known_source() -> None:
    data = policies.default_data()
    assert set(data["time_scales"]) == {"weeks", "sessions"}
    for key, entry in data["instruments"].items():
        assert entry["k_source"] in data["sources"], key
        for name in ("k_source", "horizon_source", "earliest_source"):
            assert entry["sessions"][name] in data["sources"], key
        for stratum in entry["strata"]:
            assert stratum["tolerance_source"] in data["sources"], key
    assert set(policies.default_models(TimeScale.SESSIONS)) == set(policies.default_models())
    no_sessions = {**data, "instruments": {"phq9": {
        key: value for key, value in data["instruments"]["phq9"].items() if key != "sessions"}}}
    with pytest.raises(policies.ParameterError, match="sessions"):
        policies.load_defaults(no_sessions, TimeScale.SESSIONS)
    broken = {**data, "instruments": {"phq9": {**data["instruments"]["phq9"],
                                               "strata": [{"band": "nope", "tolerance": 1}]}}}
    with pytest.raises(policies.ParameterError):
        policies.load_defaults(broken)


def synthetic(model, *, k, noise, episodes, seed=7):
    rng = random.Random(seed)
    rows = []
    for _ in range(episodes):
        baseline = rng.randint(15, 19)
        for week in range(1, 13):
            truth = baseline * max(model.floor, 1 - k * math.log1p(week))
            rows.append(Observation(baseline, week, truth + rng.gauss(0, noise)))
    return rows


def test_the_robust_fit_recovers_the_generating_curve() -> None:
    rows = synthetic(PHQ9, k=0.25, noise=1.5, episodes=60)
    # A few wild scores (data entry slips) do not drag a robust fit.
    rows += [Observation(17, 6, 27.0)] * 8
    fit = policies.fit_stratum(PHQ9, rows, episodes=60)
    assert abs(fit.k - 0.25) <= 0.01
    # 85th percentile of N(0, 1.5) is 1.55: rounded to half a point.
    assert fit.tolerance == 1.5
    assert (fit.episodes, fit.points) == (60, 60 * 12 + 8)
