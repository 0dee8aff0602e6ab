"""Properties over every shipped definition: totals stay in range, bands cover the range with no
gaps or overlaps, a complete response lands in exactly one band, and no skipped critical item
ever passes unflagged."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice.measurement.definitions import (
    SEXES,
    Band,
    InstrumentDefinition,
    definition_from_dict,
    definition_to_dict,
    exact,
    subscale_reachable,
    total_reachable,
)
from practice.measurement.library import shipped_definitions
from practice.measurement.scoring import IncompleteResponse, ScoreResult, score

SHIPPED = shipped_definitions()
IDS = [definition.key for definition in SHIPPED]


def _containing(bands: tuple[Band, ...], value: Fraction) -> list[str]:
    return [band.key for band in bands if exact(band.lower) <= value <= exact(band.upper)]


def _band_sets(definition: InstrumentDefinition) -> list[tuple[tuple[Band, ...],
                                                               frozenset[Fraction]]]:
    sets = []
    if definition.has_total and definition.scorer == "standard":
        reachable = total_reachable(definition)
        sets += [(bands, reachable) for bands in
                 [definition.bands, *(sb.bands for sb in definition.sex_bands)] if bands]
    for subscale in definition.subscales:
        if subscale.bands:
            sets.append((subscale.bands, subscale_reachable(definition, subscale)))
    return sets


@pytest.mark.parametrize("definition", SHIPPED, ids=IDS)
def test_bands_cover_every_reachable_score_exactly_once(definition: InstrumentDefinition) -> None:
    for bands, reachable in _band_sets(definition):
        assert exact(bands[0].lower) <= min(reachable)
        assert exact(bands[-1].upper) >= max(reachable)
        for value in reachable:
            assert len(_containing(bands, value)) == 1, (definition.key, value)
        for prev, nxt in zip(bands, bands[1:], strict=False):
            assert exact(prev.upper) < exact(nxt.lower)


@pytest.mark.parametrize("definition", SHIPPED, ids=IDS)
def test_definitions_round_trip_through_plain_dicts(definition: InstrumentDefinition) -> None:
    assert definition_from_dict(definition_to_dict(definition)) == definition


@st.composite
def responses(draw: st.DrawFn, *, complete: bool) -> tuple[InstrumentDefinition,
                                                            dict[str, int | None], str | None]:
    definition = draw(st.sampled_from(SHIPPED))
    answers: dict[str, int | None] = {}
    for item in definition.choice_items:
        index = st.integers(0, len(item.options) - 1)
        answers[item.key] = draw(index if complete else st.one_of(st.none(), index))
    sex = draw(st.sampled_from(SEXES)) if definition.sex_bands else None
    return definition, answers, sex


def _total_range(definition: InstrumentDefinition) -> tuple[float, float]:
    reachable = total_reachable(definition)
    return float(min(reachable)), float(max(reachable))


@settings(max_examples=500, deadline=None)
@given(responses(complete=False))
def test_any_response_scores_in_range_or_is_refused_with_its_flags(
        response: tuple[InstrumentDefinition, dict[str, int | None], str | None]) -> None:
    definition, answers, sex = response
    try:
        result: ScoreResult | IncompleteResponse = score(definition, answers, sex=sex)
    except IncompleteResponse as refused:
        result = refused
        assert refused.missing_items

    skipped_critical = {critical.item for critical in definition.critical_items
                        if answers[critical.item] is None}
    unknown = {flag.item_key for flag in result.flags if flag.kind == "risk_unknown"}
    assert skipped_critical <= unknown
    if isinstance(result, ScoreResult) and result.total is not None:
        lowest, highest = _total_range(definition)
        assert lowest <= result.total <= highest
        assert result.band is not None or not definition.bands_for(sex)


@settings(max_examples=500, deadline=None)
@given(responses(complete=True))
def test_a_complete_response_lands_in_exactly_one_band(
        response: tuple[InstrumentDefinition, dict[str, int | None], str | None]) -> None:
    definition, answers, sex = response

    result = score(definition, answers, sex=sex)

    assert result.missing_items == ()
    assert result.prorated is False
    assert not [flag for flag in result.flags if flag.kind == "risk_unknown"]
    if result.total is not None:
        lowest, highest = _total_range(definition)
        assert lowest <= result.total <= highest
        bands = definition.bands_for(sex)
        if bands:
            containing = _containing(bands, exact(result.total))
            assert containing == [result.band.key if result.band else None]
    for subscale in definition.subscales:
        value = exact(result.subscales[subscale.key])
        reachable = subscale_reachable(definition, subscale)
        assert min(reachable) <= value <= max(reachable)
        if subscale.bands:
            band = result.subscale_bands[subscale.key]
            assert _containing(subscale.bands, value) == [band.key if band else None]


@settings(max_examples=300, deadline=None)
@given(responses(complete=False))
def test_positive_critical_items_always_flag(
        response: tuple[InstrumentDefinition, dict[str, int | None], str | None]) -> None:
    definition, answers, sex = response
    positive = {critical.item for critical in definition.critical_items
                if (index := answers[critical.item]) is not None
                and definition.item(critical.item).points_for(index) >= critical.min_points}
    try:
        flags = score(definition, answers, sex=sex).flags
    except IncompleteResponse as refused:
        flags = refused.flags

    risk = {flag.item_key for flag in flags if flag.kind == "risk"}
    assert positive <= risk
    if definition.scorer == "standard":
        assert positive == risk
