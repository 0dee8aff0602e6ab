"""Form definitions, answers and the builder's steps: pure functions, no database."""

from __future__ import annotations

import copy

import pytest

from practice.formbuilder import builder, definitions
from practice.formbuilder.builder import FieldSpec
from practice.formbuilder.definitions import DefinitionError, clean_answers, validate_definition
from tests.formbuilder.helpers import ANSWERS, INTAKE


def with_field(**changes) -> dict:
    definition = copy.deepcopy(INTAKE)
    definition["sections"][0]["fields"][0] |= changes
    return definition


def test_the_intake_form_is_valid_and_normalised() -> None:
    assert validate_definition(INTAKE) == []
    clean = definitions.checked(INTAKE)
    number = clean["sections"][1]["fields"][1]
    assert number == {"key": "sessions_before", "type": "number", "label": "Sessions before",
                      "help": "", "required": False, "min": "0", "max": "500",
                      "integer_only": True}
    assert clean["sections"][1]["fields"][3]["required"] is False  # a signature never is
    assert definitions.requires_signature(clean) is True
    assert definitions.signature_statement(clean) == "I confirm the information above is true."


@pytest.mark.parametrize(("definition", "problems"), [
    ("nope", ["The definition must be an object with a title and sections."]),
    ({"title": "", "sections": []},
     ["The title is empty.", "The form needs at least one section."]),
    (with_field(type="essay"), ["Section 1, question 1 has an unknown type 'essay'; use one of "
                                "short_text, long_text, single_choice, multiple_choice, date, "
                                "number, yes_no, signature."]),
    (with_field(key="reason"), ["Section 1, question 2: the key 'reason' is used twice."]),
    (with_field(key="Bad Key"), ["Section 1, question 1 needs a key of lower-case letters, "
                                 "digits and underscores, starting with a letter (at most 40)."]),
    (with_field(label="  "), ["Section 1, question 1: the question is empty."]),
    (with_field(colour="red"), ["Section 1, question 1 has properties a short text question "
                                "does not take: colour."]),
    (with_field(required="yes"), ["Section 1, question 1: 'required' must be true or false."]),
    (with_field(type="single_choice", options=["Only"]),
     ["Section 1, question 1 needs at least two options."]),
    (with_field(type="multiple_choice", options=["A", "A "]),
     ["Section 1, question 1 has the same option twice."]),
    (with_field(type="number", min=5, max=1), ["Section 1, question 1: the minimum is above "
                                               "the maximum."]),
    (with_field(type="signature"), ["A form has at most one signature; the client signs it "
                                    "once, after submitting."]),
])
def test_definition_problems_are_named(definition, problems) -> None:
    assert validate_definition(definition) == problems
    with pytest.raises(DefinitionError) as refused:
        definitions.checked(definition)
    assert refused.value.messages == problems


def test_a_draft_may_be_unfinished_but_not_published() -> None:
    draft = definitions.empty_definition("New form")
    assert validate_definition(draft, draft=True) == []
    assert validate_definition(draft) == ["Section 1 has no questions.",
                                          "The form needs at least one question to answer."]
    only_signature = copy.deepcopy(draft)
    only_signature["sections"][0]["fields"] = [{"key": "s", "type": "signature",
                                                "label": "I agree"}]
    assert validate_definition(only_signature) == [
        "The form needs at least one question to answer."]


def test_answers_normalised_and_required_checked_only_on_submit() -> None:
    form = definitions.checked(INTAKE)
    draft = clean_answers(form, {"preferred_name": "  Chris ", "medication": "no"}, final=False)
    assert draft.errors == {}
    assert draft.answers == {"preferred_name": "Chris", "medication": False}
    final = clean_answers(form, {"preferred_name": "Chris"}, final=True)
    assert final.errors == {"born": "This question needs an answer.",
                            "contact": "This question needs an answer.",
                            "medication": "This question needs an answer."}
    full = clean_answers(form, ANSWERS | {"sessions_before": "3.0"}, final=True)
    assert full.errors == {}
    assert full.answers["concerns"] == ["Sleep", "Anxiety"]  # the form's order
    assert full.answers["sessions_before"] == "3"


@pytest.mark.parametrize(("key", "value", "error"), [
    ("born", "02/04/1990", "Enter a date as year-month-day, e.g. 2026-03-14."),
    ("born", "1850-01-01", "Enter a date between 1900 and 2199."),
    ("contact", "Pigeon", "Choose one of the options."),
    ("concerns", ["Sleep", "Hunger"], "Choose from the options given."),
    ("sessions_before", "2.5", "Enter a whole number."),
    ("sessions_before", "-1", "Enter 0 or more."),
    ("sessions_before", "501", "Enter 500 or less."),
    ("sessions_before", "many", "Enter a number."),
    ("sessions_before", "NaN", "Enter a number."),
    ("medication", "maybe", "Answer yes or no."),
    ("preferred_name", "x" * 301, "Keep this under 300 characters."),
    ("reason", 42, "Write your answer as text."),
])
def test_bad_answers_say_why(key, value, error) -> None:
    result = clean_answers(definitions.checked(INTAKE), {key: value}, final=False)
    assert result.errors == {key: error}
    assert key not in result.answers


def test_unknown_keys_refused_when_strict() -> None:
    form = definitions.checked(INTAKE)
    result = clean_answers(form, {"sign": "me", "ghost": "x"}, final=False, strict_keys=True)
    assert result.errors == {"sign": "This form has no such question.",
                             "ghost": "This form has no such question."}
    assert clean_answers(form, {"ghost": "x"}, final=False).errors == {}


def test_builder_steps() -> None:
    draft = definitions.empty_definition("Consent")
    draft = builder.add_field(draft, section_key="s1",
                              spec=FieldSpec(type="short_text", label="Name", required=True))
    draft = builder.add_section(draft, title="More")
    draft = builder.add_field(draft, section_key="s2", spec=FieldSpec(
        type="single_choice", label="Pick", options=["A", "B"]))
    assert [[item["key"] for item in section["fields"]] for section in draft["sections"]] == [
        ["f1"], ["f2"]]
    # Down past the end of its section: into the next one, at the top.
    draft = builder.move_field(draft, key="f1", step=1)
    assert [[item["key"] for item in section["fields"]] for section in draft["sections"]] == [
        [], ["f1", "f2"]]
    draft = builder.update_field(draft, key="f2", spec=FieldSpec(type="yes_no", label="Ok?"))
    assert draft["sections"][1]["fields"][1] == {"key": "f2", "type": "yes_no",
                                                 "label": "Ok?", "help": "",
                                                 "required": False}
    draft = builder.remove_section(draft, key="s1")
    with pytest.raises(DefinitionError) as refused:
        builder.remove_section(draft, key="s2")
    assert refused.value.messages == ["A form keeps at least one section."]
    with pytest.raises(DefinitionError) as refused:
        builder.add_field(draft, section_key="s2", spec=FieldSpec(type="signature", label="A"))
        builder.add_field(builder.add_field(draft, section_key="s2", spec=FieldSpec(
            type="signature", label="A")), section_key="s2",
            spec=FieldSpec(type="signature", label="B"))
    assert refused.value.messages == ["A form has at most one signature; the client signs it "
                                      "once, after submitting."]
    assert definitions.validate_definition(draft) == []
