"""``manage.py score_instrument``: parse, score, print JSON. It needs settings, not a database."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from practice.management.commands.score_instrument import Command


def run(*args: str) -> tuple[dict[str, Any], str]:
    out = StringIO()
    call_command("score_instrument", *args, stdout=out)
    text = out.getvalue()
    return json.loads(text), text


def test_prints_total_band_subscales_and_flags() -> None:
    result, _ = run("phq9", "1,1,1,1,1,1,1,1,1")

    assert result["total"] == 9
    assert result["band"] == {"key": "mild", "label": "Mild"}
    assert result["subscales"] == {}
    assert result["flags"] == [{
        "item": "q9", "kind": "risk",
        "message": "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is above "
                   "0: same-day risk review, whatever the total."}]
    assert (result["instrument"], result["version"], result["scorer"]) == ("phq9", 1, "standard")


def test_dash_skips_an_item_and_the_difficulty_question_may_be_given() -> None:
    result, _ = run("phq9", "3,3,3,3,3,3,3,-,-,2")

    assert result["total"] == 27
    assert result["prorated"] is True
    assert result["missing_items"] == ["q8", "q9"]
    assert [(flag["item"], flag["kind"]) for flag in result["flags"]] == [("q9", "risk_unknown")]


def test_subscales_for_dass21() -> None:
    result, _ = run("dass21", ",".join(["1"] * 21))

    assert result["total"] is None
    assert result["subscales"] == {"depression": 14, "anxiety": 14, "stress": 14}
    assert result["subscale_bands"]["stress"] == {"key": "normal", "label": "Normal"}


@pytest.mark.parametrize(("sex", "band"), [("female", "positive"), ("male", "negative")])
def test_sex_for_auditc(sex: str, band: str) -> None:
    result, _ = run("auditc", "1,1,1", "--sex", sex)

    assert result["total"] == 3
    assert result["band"]["key"] == band
    assert result["sex"] == sex


def test_cssrs_triage_level() -> None:
    result, _ = run("cssrs_screener", "1,1,0,1,0,0,-")

    assert result["band"] == {"key": "high", "label": "High risk"}
    assert [(flag["item"], flag["kind"]) for flag in result["flags"]] == [("q4", "risk")]


def test_mood_takes_one_answer() -> None:
    result, _ = run("mood", "7")

    assert result["total"] == 7
    assert result["band"] is None


def test_incomplete_response_prints_its_flags_and_fails() -> None:
    out = StringIO()

    with pytest.raises(CommandError, match="not scored"):
        call_command("score_instrument", "phq9", "--", "-,-,-,0,0,0,0,0,3", stdout=out)

    printed = json.loads(out.getvalue())
    assert printed["missing_items"] == ["q1", "q2", "q3"]
    assert printed["flags"][0]["kind"] == "risk"


def test_answers_may_start_with_a_skipped_item_on_the_command_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    Command().run_from_argv(["manage.py", "score_instrument", "gad7", "-,1,1,1,1,1,1"])

    result = json.loads(capsys.readouterr().out)
    assert result["total"] == 7
    assert result["missing_items"] == ["q1"]


@pytest.mark.parametrize(("args", "message"), [
    (("nope", "1"), "no shipped instrument 'nope'"),
    (("phq9", "1,1"), "phq9 takes 9 to 10 answers"),
    (("phq9", "1,1,1,1,1,1,1,1,x"), "answers must be whole numbers"),
    (("gad7", "1,1,1,1,1,1,7"), "has options 0 to 3, not 7"),
])
def test_bad_input_is_a_command_error(args: tuple[str, ...], message: str) -> None:
    out = StringIO()

    with pytest.raises(CommandError, match=message):
        call_command("score_instrument", *args, stdout=out)

    assert out.getvalue() == ""
