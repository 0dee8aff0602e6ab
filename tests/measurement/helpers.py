"""Building answers for a wanted score, so the tests can state totals the way the reference does."""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from practice.measurement.definitions import InstrumentDefinition, Item


def answers_for(definition: InstrumentDefinition, score: Fraction | int, *,
                items: Sequence[Item] | None = None,
                multiplier: Fraction | int | None = None) -> dict[str, int | None]:
    """Option positions whose scored points reach ``score`` over ``items`` (default: the scored
    items); every other choice item gets the option scoring least."""
    chosen = list(items if items is not None else definition.scored_items)
    factor = Fraction(multiplier if multiplier is not None else definition.multiplier)
    remaining = Fraction(score) / factor
    answers: dict[str, int | None] = {}
    for item in definition.choice_items:
        ranked = sorted((item.points_for(index), index) for index in range(len(item.options)))
        answers[item.key] = ranked[0][1]
        if item in chosen:
            remaining -= ranked[0][0]
    for item in chosen:
        ranked = sorted((item.points_for(index), index) for index in range(len(item.options)))
        base = ranked[0][0]
        points, index = max((p, i) for p, i in ranked if p - base <= remaining)
        answers[item.key] = index
        remaining -= points - base
    assert remaining == 0, f"cannot reach {score} on {definition.key}"
    return answers


def position_of(item: Item, points: int) -> int:
    """The option position that scores ``points`` on ``item`` (after reverse keying)."""
    matches = [index for index in range(len(item.options)) if item.points_for(index) == points]
    assert len(matches) == 1, f"{item.key} has {len(matches)} options scoring {points}"
    return matches[0]
