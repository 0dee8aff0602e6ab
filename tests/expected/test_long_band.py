"""The expected range drawn over a long episode: as many points as a chart can show, not one per
half week of years (the client page with five years of history within 1.3x of one month)."""

from datetime import UTC, datetime, timedelta

from practice.expected.policies import TimeScale, default_models
from practice.expected.selectors import AXIS_TICKS, BAND_SAMPLES, path_for_series

START = datetime(2021, 1, 4, 20, tzinfo=UTC)
MODELS = {TimeScale.WEEKS: default_models(), TimeScale.SESSIONS: default_models(TimeScale.SESSIONS)}


def _weekly(weeks: int) -> list[tuple[datetime, float]]:
    return [(START + timedelta(weeks=week), 18.0 - min(week, 10)) for week in range(weeks + 1)]


def test_a_short_episode_has_its_range_every_half_week() -> None:
    view = path_for_series(MODELS, "phq9", _weekly(12))
    assert view is not None
    assert [moment for moment, _low, _high in view.band] == [
        START + timedelta(days=3.5 * step) for step in range(25)]


def test_five_years_of_weeks_draw_a_bounded_range_to_the_latest_score() -> None:
    view = path_for_series(MODELS, "phq9", _weekly(260))
    assert view is not None
    moments = [moment for moment, _low, _high in view.band]
    assert len(moments) <= BAND_SAMPLES + 2
    assert moments[0] == START and moments[-1] == START + timedelta(weeks=260)
    assert moments == sorted(moments)
    assert 2 <= len(view.ticks) <= AXIS_TICKS + 1
    assert view.ticks[0][1] == "0" and view.ticks[-1][1] == "260"


def test_a_range_flat_for_years_is_drawn_by_its_corners_not_hundreds_of_points() -> None:
    """The path reaches its floor within months: the years after are one straight edge."""
    import re

    from practice.measurement.charts import ExpectedOverlay, trend_svg
    from practice.measurement.library import get_definition

    points = _weekly(260)
    view = path_for_series(MODELS, "phq9", points)
    assert view is not None
    svg = trend_svg(definition=get_definition("phq9"), points=points, mark_reliable_change=True,
                    title="PHQ-9", expected=ExpectedOverlay(view.band, "Expected range"))
    polygon = re.search(r'class="expected-range" points="([^"]+)"', svg)
    assert polygon is not None
    corners = [tuple(map(float, pair.split(","))) for pair in polygon.group(1).split()]
    flat = sum(1 for i in range(1, len(view.band) - 1)
               if view.band[i - 1][1:] == view.band[i][1:] == view.band[i + 1][1:])
    assert flat > len(view.band) // 2  # most of the range is its floor
    assert len(corners) == 2 * (len(view.band) - flat)
    # The band still spans the chart: from the first point to the last, top and bottom.
    xs = [x for x, _y in corners]
    assert min(xs) == corners[0][0] and max(xs) == corners[len(corners) // 2 - 1][0]


def test_a_long_range_is_drawn_every_half_week_where_it_bends() -> None:
    """Fewer samples over years, never fewer where the range moves: its first months."""
    from practice.expected.selectors import DENSE_WEEKS

    view = path_for_series(MODELS, "phq9", _weekly(260))
    assert view is not None
    early = [moment for moment, _low, _high in view.band
             if moment <= START + timedelta(weeks=DENSE_WEEKS)]
    assert early == [START + timedelta(days=3.5 * step) for step in range(2 * DENSE_WEEKS + 1)]
