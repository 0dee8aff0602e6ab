"""The server-drawn trend chart and its table: pure, no database."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from practice.measurement.charts import trend_svg, trend_table
from practice.measurement.definitions import Band
from practice.measurement.library import get_definition
from practice.measurement.scoring import ReliableChange

SVG = "{http://www.w3.org/2000/svg}"
START = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


def weekly(*scores: float) -> list[tuple[datetime, float]]:
    return [(START + timedelta(weeks=index), score) for index, score in enumerate(scores)]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    """(left, right, top, bottom) from the two axis lines."""
    y_axis, x_axis = root.findall(f"{SVG}line")[:2]
    return (float(y_axis.get("x1")), float(x_axis.get("x2")), float(y_axis.get("y1")),
            float(y_axis.get("y2")))


def markers(root: ET.Element) -> list[ET.Element]:
    return [element for element in root.iter()
            if "point" in (element.get("class") or "").split()]


def marker_centre(element: ET.Element) -> tuple[float, float]:
    if element.tag == f"{SVG}circle":
        return float(element.get("cx")), float(element.get("cy"))
    numbers = [float(value) for value in
               element.get("d").replace("M", " ").replace("L", " ").replace("Z", " ").split()]
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2


def test_phq9_band_rectangles_cover_0_to_27_without_gaps() -> None:
    root = parse(trend_svg(definition=get_definition("phq9"), points=weekly(19, 12),
                           mark_reliable_change=True, title="PHQ-9"))
    left, right, top, bottom = plot_area(root)

    bands = [rect for rect in root.findall(f"{SVG}rect") if rect.get("class") == "band"]

    assert [rect.get("data-band") for rect in bands] == [
        "minimal", "mild", "moderate", "moderately_severe", "severe"]
    assert [(rect.get("data-from"), rect.get("data-to")) for rect in bands] == [
        ("0", "5"), ("5", "10"), ("10", "15"), ("15", "20"), ("20", "27")]
    # Drawn: stacked from the bottom of the plot to its top, each starting where the one
    # below ends.
    assert float(bands[0].get("y")) + float(bands[0].get("height")) == pytest.approx(bottom)
    for lower, upper in zip(bands, bands[1:], strict=False):
        assert float(upper.get("y")) + float(upper.get("height")) == pytest.approx(
            float(lower.get("y")), abs=0.11)
    assert float(bands[-1].get("y")) == pytest.approx(top)
    assert {(float(rect.get("x")), float(rect.get("width"))) for rect in bands} == {
        (left, right - left)}
    labels = [text.text for text in root.findall(f"{SVG}text")
              if text.get("class") == "band-label"]
    assert labels == ["None / minimal", "Mild", "Moderate", "Moderately severe", "Severe"]


def test_y_axis_ticks_are_scores_at_the_band_boundaries() -> None:
    root = parse(trend_svg(definition=get_definition("phq9"), points=weekly(3),
                           mark_reliable_change=False, title="PHQ-9"))

    ticks = [text.text for text in root.findall(f"{SVG}text") if text.get("class") == "y-tick"]

    assert ticks == ["0", "5", "10", "15", "20", "27"]


def test_points_lie_within_the_plot_area_in_time_order() -> None:
    scores = (27, 0, 14, 9, 20, 0, 27)
    root = parse(trend_svg(definition=get_definition("phq9"), points=weekly(*scores),
                           mark_reliable_change=True, title="PHQ-9"))
    left, right, top, bottom = plot_area(root)

    centres = [marker_centre(element) for element in markers(root)]

    assert len(centres) == len(scores)
    for x, y in centres:
        assert left < x < right
        assert top - 0.01 <= y <= bottom + 0.01
    assert [x for x, _ in centres] == sorted(x for x, _ in centres)
    assert centres[0][1] == pytest.approx(top)  # 27 at the top
    assert centres[1][1] == pytest.approx(bottom)  # 0 at the bottom
    line = root.find(f"{SVG}polyline")
    assert len(line.get("points").split()) == len(scores)


def test_reliable_change_from_baseline_is_marked_by_shape() -> None:
    # PHQ-9 reliable change is 6 points: 19 -> 13 improves, 19 -> 25 deteriorates.
    root = parse(trend_svg(definition=get_definition("phq9"), points=weekly(19, 14, 13, 25),
                           mark_reliable_change=True, title="PHQ-9"))

    classes = [element.get("class") for element in markers(root)]

    assert classes == ["point", "point", "point reliable-improvement",
                       "point reliable-deterioration"]
    titles = [element.find(f"{SVG}title").text for element in markers(root)]
    assert titles[2] == "19 Jan 2026: 13 (Moderate), reliable improvement from the first score"


def triangle_points_up(element: ET.Element) -> bool:
    """The tip is the path's last vertex; it points up when it is above the base."""
    numbers = [float(value) for value in
               element.get("d").replace("M", " ").replace("L", " ").replace("Z", " ").split()]
    return numbers[-1] < numbers[1]


def test_triangles_point_the_way_the_score_moved() -> None:
    phq9 = parse(trend_svg(definition=get_definition("phq9"), points=weekly(19, 12, 26),
                           mark_reliable_change=True, title="PHQ-9"))
    who5 = parse(trend_svg(definition=get_definition("who5"), points=weekly(40, 60, 20),
                           mark_reliable_change=True, title="WHO-5"))

    assert [(element.get("class"), triangle_points_up(element))
            for element in markers(phq9)[1:]] == [
        ("point reliable-improvement", False), ("point reliable-deterioration", True)]
    # WHO-5: higher is better, so an improvement rises.
    assert [(element.get("class"), triangle_points_up(element))
            for element in markers(who5)[1:]] == [
        ("point reliable-improvement", True), ("point reliable-deterioration", False)]


def test_no_marks_when_not_asked_or_no_threshold() -> None:
    plain = parse(trend_svg(definition=get_definition("phq9"), points=weekly(19, 5),
                            mark_reliable_change=False, title="PHQ-9"))
    mood = parse(trend_svg(definition=get_definition("mood"), points=weekly(1, 9),
                           mark_reliable_change=True, title="Mood"))

    assert [element.get("class") for element in markers(plain)] == ["point", "point"]
    assert [element.get("class") for element in markers(mood)] == ["point", "point"]


def test_a_practice_threshold_passed_in_the_definition_marks_change() -> None:
    k10 = replace(get_definition("k10"), reliable_change=5)

    root = parse(trend_svg(definition=k10, points=weekly(30, 24), mark_reliable_change=True,
                           title="K10"))

    assert [element.get("class") for element in markers(root)] == [
        "point", "point reliable-improvement"]


def test_text_is_escaped() -> None:
    hostile = replace(get_definition("gad7"), title="GAD <7> & co", bands=(
        Band("low", '<script>alert("x")</script>', 0, 10),
        Band("high", "High & 'higher'", 11, 21)))

    svg = trend_svg(definition=hostile, points=weekly(4, 12), mark_reliable_change=True,
                    title='Trend </title><script>alert(1)</script>')
    root = parse(svg)  # still well-formed XML

    assert "<script" not in svg
    assert root.find(f"{SVG}title").text == "Trend </title><script>alert(1)</script>"
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    assert "GAD &lt;7&gt; &amp; co" in svg
    assert root.find(f"{SVG}desc").text.startswith("2 GAD <7> & co scores")
    labels = [text.text for text in root.findall(f"{SVG}text")
              if text.get("class") == "band-label"]
    assert labels == ['<script>alert("x")<…', "High & 'higher'"]


def test_accessible_name_and_description() -> None:
    root = parse(trend_svg(definition=get_definition("phq9"), points=weekly(19, 17, 11),
                           mark_reliable_change=True, title="PHQ-9 over time"))

    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id
    assert root.find(f"{SVG}desc").get("id") == desc_id
    assert root.find(f"{SVG}desc").text == (
        "3 PHQ-9 (Patient Health Questionnaire-9) scores from 5 Jan 2026 to 19 Jan 2026: from "
        "19 to 11 (Moderately severe to Moderate); reliable improvement from the first score.")


def test_an_empty_series_draws_the_bands_and_says_so() -> None:
    root = parse(trend_svg(definition=get_definition("phq9"), points=[],
                           mark_reliable_change=True, title="PHQ-9"))

    assert markers(root) == []
    assert root.find(f"{SVG}polyline") is None
    assert len([rect for rect in root.findall(f"{SVG}rect")
                if rect.get("class") == "band"]) == 5
    assert [text.text for text in root.findall(f"{SVG}text")
            if text.get("class") == "empty"] == ["No scores yet"]
    assert root.find(f"{SVG}desc").text == (
        "No PHQ-9 (Patient Health Questionnaire-9) scores yet.")


def test_one_point_is_centred_without_a_line() -> None:
    root = parse(trend_svg(definition=get_definition("gad7"), points=weekly(12),
                           mark_reliable_change=True, title="GAD-7"))
    left, right, _top, _bottom = plot_area(root)

    (point,) = markers(root)

    assert root.find(f"{SVG}polyline") is None
    assert marker_centre(point)[0] == pytest.approx((left + right) / 2)
    assert root.find(f"{SVG}desc").text == (
        "One GAD-7 (Generalised Anxiety Disorder-7) score, 12, on 5 Jan 2026 (Moderate).")


def test_an_instrument_without_bands_scales_to_its_possible_scores() -> None:
    root = parse(trend_svg(definition=get_definition("mood"), points=weekly(3, 7),
                           mark_reliable_change=False, title="Mood"))

    ticks = [text.text for text in root.findall(f"{SVG}text") if text.get("class") == "y-tick"]

    assert ticks == ["0", "2.5", "5", "7.5", "10"]
    assert [rect for rect in root.findall(f"{SVG}rect") if rect.get("class") == "band"] == []


def test_a_dense_series_keeps_the_line_and_draws_only_key_markers() -> None:
    daily = [(START + timedelta(days=day), float(day % 11)) for day in range(400)]

    root = parse(trend_svg(definition=get_definition("mood"), points=daily,
                           mark_reliable_change=False, title="Mood"))

    assert len(root.find(f"{SVG}polyline").get("points").split()) == 400
    assert len(markers(root)) == 2


def test_the_table_gives_change_reliable_change_and_talking_therapies_class() -> None:
    rows = trend_table(get_definition("phq9"), weekly(19, 14, 9, 16))

    assert [(row["score_text"], row["band"], row["from_baseline_text"],
             row["from_previous_text"], row["reliable"], row["talking_therapies"])
            for row in rows] == [
        ("19", "Moderately severe", "", "", None, None),
        ("14", "Moderate", "−5", "−5", ReliableChange.NO_RELIABLE_CHANGE, "no_reliable_change"),
        ("9", "Mild", "−10", "−5", ReliableChange.IMPROVEMENT, "reliable_recovery"),
        ("16", "Moderately severe", "−3", "+7", ReliableChange.NO_RELIABLE_CHANGE,
         "no_reliable_change"),
    ]
    assert rows[0]["when"] == START


def test_the_table_of_an_instrument_without_a_threshold_has_no_reliable_change() -> None:
    rows = trend_table(get_definition("mood"), weekly(2, 9))

    assert [(row["from_baseline"], row["reliable"], row["talking_therapies"]) for row in rows] == [
        (None, None, None), (7.0, None, None)]
    assert trend_table(get_definition("mood"), []) == []
