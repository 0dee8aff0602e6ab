"""WCAG 2.2 contrast: parsing, the formula, the boundaries, and the problems check_palette names.

Pure functions: no database. The boundary colours were found by searching all 16.7M colours
for the ones whose contrast on white sits closest to each side of 4.5:1 and of 3:1.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from branding.colors import (
    AA_NON_TEXT,
    AA_NORMAL_TEXT,
    DARK_TEXT,
    LIGHT_TEXT,
    ColorError,
    ContrastProblem,
    check_palette,
    contrast_ratio,
    display_ratio,
    normalize_hex,
    parse_hex,
    readable_text_on,
    relative_luminance,
)

JUST_ABOVE_4_5 = "#7c7290"  # 4.5000006:1 on white
JUST_BELOW_4_5 = "#9a6c5a"  # 4.4999999:1 on white
JUST_ABOVE_3 = "#e969a1"  # 3.0000002:1 on white
JUST_BELOW_3 = "#989a30"  # 2.9999998:1 on white

# A palette that passes every pair; each test below breaks exactly one thing about it.
GOOD_PRIMARY = "#1f5f8b"
GOOD_ACCENT = "#b3261e"


# --- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("#1f5f8b", (0x1F, 0x5F, 0x8B)),
        ("#1F5F8B", (0x1F, 0x5F, 0x8B)),
        ("#fff", (255, 255, 255)),
        ("#AbC", (0xAA, 0xBB, 0xCC)),
        ("  #000000 ", (0, 0, 0)),
    ],
)
def test_parse_hex_accepts_short_and_long_forms_in_any_case(
    value: str, expected: tuple[int, int, int]
) -> None:
    assert parse_hex(value) == expected


@pytest.mark.parametrize(
    "value",
    ["1f5f8b", "#1f5f8", "#1f5f8bb", "#ggg", "#12", "red", "rgb(0,0,0)", "#１２３", "#fff\n#000"],
)
def test_parse_hex_refuses_anything_else_with_the_format_help(value: str) -> None:
    with pytest.raises(ColorError) as caught:
        parse_hex(value)
    assert caught.value.message.endswith("Enter a colour as #RRGGBB, e.g. #1f5f8b.")
    assert str(caught.value) == caught.value.message


def test_parse_hex_of_an_empty_value_asks_for_a_colour() -> None:
    with pytest.raises(ColorError) as caught:
        parse_hex("   ")
    assert caught.value.message == "Enter a colour. Enter a colour as #RRGGBB, e.g. #1f5f8b."


def test_parse_hex_names_the_bad_value() -> None:
    with pytest.raises(ColorError) as caught:
        parse_hex("blue")
    assert caught.value.message == (
        "'blue' is not a colour. Enter a colour as #RRGGBB, e.g. #1f5f8b."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("#ABC", "#aabbcc"), ("#1F5F8B", "#1f5f8b"), (" #fff", "#ffffff"), ("#000", "#000000")],
)
def test_normalize_hex_is_lowercase_long_form(value: str, expected: str) -> None:
    assert normalize_hex(value) == expected


# --- the formula ------------------------------------------------------------------------------


def test_relative_luminance_of_the_extremes_and_the_linear_segment() -> None:
    assert relative_luminance((0, 0, 0)) == 0.0
    assert relative_luminance((255, 255, 255)) == pytest.approx(1.0)
    # 10/255 = 0.0392 is under the 0.04045 threshold: divided by 12.92, not raised to 2.4.
    assert relative_luminance((10, 10, 10)) == pytest.approx(10 / 255 / 12.92)
    # 11/255 = 0.0431 is over it.
    assert relative_luminance((11, 11, 11)) == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)


def test_relative_luminance_weights_green_most() -> None:
    assert relative_luminance((255, 0, 0)) == pytest.approx(0.2126)
    assert relative_luminance((0, 255, 0)) == pytest.approx(0.7152)
    assert relative_luminance((0, 0, 255)) == pytest.approx(0.0722)


def test_known_ratios() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#1f5f8b", "#1f5f8b") == pytest.approx(1.0)
    assert contrast_ratio("#767676", "#ffffff") == pytest.approx(4.54, abs=0.005)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.005)
    assert contrast_ratio("#767676", "#ffffff") >= AA_NORMAL_TEXT
    assert contrast_ratio("#777777", "#ffffff") < AA_NORMAL_TEXT


def test_short_and_long_forms_give_the_same_ratio() -> None:
    assert contrast_ratio("#fff", "#06c") == contrast_ratio("#ffffff", "#0066cc")


@given(
    st.integers(min_value=0, max_value=0xFFFFFF),
    st.integers(min_value=0, max_value=0xFFFFFF),
)
def test_contrast_ratio_is_symmetric_and_between_1_and_21(first: int, second: int) -> None:
    a, b = f"#{first:06x}", f"#{second:06x}"
    ratio = contrast_ratio(a, b)
    assert ratio == contrast_ratio(b, a)
    assert 1.0 <= ratio <= 21.0 + 1e-9


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=3, max_size=3))
def test_short_form_expands_each_digit(digits: str) -> None:
    expanded = "#" + "".join(digit * 2 for digit in digits.lower())
    assert normalize_hex("#" + digits) == expanded


# --- the boundaries ---------------------------------------------------------------------------


def test_the_boundary_colours_sit_where_the_tests_say() -> None:
    assert 4.5 < contrast_ratio(JUST_ABOVE_4_5, "#ffffff") < 4.5001
    assert 4.4999 < contrast_ratio(JUST_BELOW_4_5, "#ffffff") < 4.5
    assert 3.0 < contrast_ratio(JUST_ABOVE_3, "#ffffff") < 3.0001
    assert 2.9999 < contrast_ratio(JUST_BELOW_3, "#ffffff") < 3.0


def test_primary_just_above_4_5_passes_and_just_below_fails() -> None:
    assert check_palette(JUST_ABOVE_4_5, GOOD_ACCENT) == []
    problems = check_palette(JUST_BELOW_4_5, GOOD_ACCENT)
    # White text on it fails too: it is the same pair of colours the other way round.
    assert [problem.pair for problem in problems] == ["text-on-primary", "primary-on-white"]
    links = problems[1]
    assert links.required == 4.5
    assert links.ratio == contrast_ratio(JUST_BELOW_4_5, "#ffffff")
    assert links.message == (
        "Links in the primary colour #9a6c5a on white have a contrast of 4.4:1; "
        "WCAG 2.2 AA needs 4.5:1 (0.1 short). Choose a darker primary colour."
    )


def test_accent_just_above_3_passes_and_just_below_fails() -> None:
    # Dark text on these accents reads well, so only the non-text pair is at stake.
    assert readable_text_on(JUST_ABOVE_3) == DARK_TEXT
    assert check_palette(GOOD_PRIMARY, JUST_ABOVE_3) == []
    problems = check_palette(GOOD_PRIMARY, JUST_BELOW_3)
    assert problems == [
        ContrastProblem(
            pair="accent-on-white",
            ratio=contrast_ratio(JUST_BELOW_3, "#ffffff"),
            required=3.0,
            message=(
                "Focus rings and badge borders in the accent colour #989a30 on white have a "
                "contrast of 2.9:1; WCAG 2.2 AA needs 3:1 for interface components "
                "(0.1 short). Choose a darker accent colour."
            ),
        )
    ]
    assert problems[0].shortfall == 0.1


@pytest.mark.parametrize(
    ("ratio", "shown"),
    [(4.499, 4.4), (4.4999999, 4.4), (4.5, 4.5), (4.56, 4.5), (2.99, 2.9), (21.0, 21.0)],
)
def test_ratios_are_shown_rounded_down(ratio: float, shown: float) -> None:
    assert display_ratio(ratio) == shown


def test_a_failing_pair_is_never_shown_at_the_required_ratio() -> None:
    for colour in (JUST_BELOW_4_5, "#777777"):
        for problem in check_palette(colour, GOOD_ACCENT):
            assert problem.shown_ratio < problem.required
            assert "4.5:1;" not in problem.message.split("needs")[0]


# --- readable text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#ffffff", DARK_TEXT),
        ("#ffd966", DARK_TEXT),
        ("#7fb3d5", DARK_TEXT),
        ("#000000", LIGHT_TEXT),
        ("#1f5f8b", LIGHT_TEXT),
        ("#b3261e", LIGHT_TEXT),
        ("#767676", LIGHT_TEXT),
    ],
)
def test_readable_text_on_picks_the_higher_contrast(background: str, text: str) -> None:
    assert readable_text_on(background) == text
    other = LIGHT_TEXT if text == DARK_TEXT else DARK_TEXT
    assert contrast_ratio(text, background) > contrast_ratio(other, background)


# --- check_palette: one problem per failing pair ----------------------------------------------


def test_a_good_palette_has_no_problems() -> None:
    assert check_palette(GOOD_PRIMARY, GOOD_ACCENT) == []
    assert check_palette("#1F5F8B", "#B3261E") == []


def test_a_light_primary_fails_only_as_link_colour() -> None:
    problems = check_palette("#7fb3d5", GOOD_ACCENT)
    assert len(problems) == 1
    assert problems[0].pair == "primary-on-white"
    assert problems[0].required == AA_NORMAL_TEXT
    assert problems[0].shown_ratio == 2.2
    assert problems[0].shortfall == 2.3
    assert problems[0].message == (
        "Links in the primary colour #7fb3d5 on white have a contrast of 2.2:1; "
        "WCAG 2.2 AA needs 4.5:1 (2.3 short). Choose a darker primary colour."
    )


def test_a_mid_grey_primary_fails_under_white_text_and_as_links() -> None:
    # #797979: white text 4.35:1 beats near-black 4.34:1, and both fall short.
    problems = check_palette("#797979", GOOD_ACCENT)
    assert [problem.pair for problem in problems] == ["text-on-primary", "primary-on-white"]
    text_on_primary = problems[0]
    assert text_on_primary.ratio == contrast_ratio("#797979", LIGHT_TEXT)
    assert text_on_primary.shown_ratio == 4.3
    assert text_on_primary.shortfall == 0.2
    assert text_on_primary.message == (
        "The white text (#ffffff) on the primary colour #797979 has a contrast of 4.3:1; "
        "WCAG 2.2 AA needs 4.5:1 (0.2 short). Choose a darker primary colour."
    )


def test_dark_text_that_falls_short_asks_for_a_lighter_colour() -> None:
    # #7a7a7a: near-black 4.40:1 beats white 4.29:1; neither reaches 4.5.
    assert readable_text_on("#7a7a7a") == DARK_TEXT
    problems = check_palette("#7a7a7a", GOOD_ACCENT)
    assert [problem.pair for problem in problems] == ["text-on-primary", "primary-on-white"]
    assert problems[0].message == (
        "The dark text (#111111) on the primary colour #7a7a7a has a contrast of 4.3:1; "
        "WCAG 2.2 AA needs 4.5:1 (0.2 short). Choose a lighter primary colour."
    )


def test_a_mid_tone_accent_fails_as_background_of_text_only() -> None:
    # #d24d57 is 4.25:1 on white: enough for a focus ring (3:1); the best text on it, near-black,
    # reaches only 4.44:1.
    problems = check_palette(GOOD_PRIMARY, "#d24d57")
    assert problems == [
        ContrastProblem(
            pair="text-on-accent",
            ratio=contrast_ratio("#d24d57", DARK_TEXT),
            required=4.5,
            message=(
                "The dark text (#111111) on the accent colour #d24d57 has a contrast of 4.4:1; "
                "WCAG 2.2 AA needs 4.5:1 (0.1 short). Choose a lighter accent colour."
            ),
        )
    ]


def test_a_pale_accent_fails_only_as_a_component() -> None:
    problems = check_palette(GOOD_PRIMARY, "#ffd966")
    assert len(problems) == 1
    assert problems[0].pair == "accent-on-white"
    assert problems[0].required == AA_NON_TEXT
    assert problems[0].shown_ratio == 1.3
    assert problems[0].shortfall == 1.7


def test_problems_come_one_per_failing_pair_in_a_fixed_order() -> None:
    # No accent fails both of its pairs: below 3:1 on white, near-black text on it passes.
    assert [problem.pair for problem in check_palette("#797979", "#7a7a7a")] == [
        "text-on-primary",
        "text-on-accent",
        "primary-on-white",
    ]
    assert [problem.pair for problem in check_palette("#797979", "#ffd966")] == [
        "text-on-primary",
        "primary-on-white",
        "accent-on-white",
    ]


def test_check_palette_refuses_bad_colours() -> None:
    with pytest.raises(ColorError):
        check_palette("#12345", GOOD_ACCENT)
    with pytest.raises(ColorError):
        check_palette(GOOD_PRIMARY, "navy")


def test_contrast_problem_is_frozen() -> None:
    problem = check_palette("#7fb3d5", GOOD_ACCENT)[0]
    with pytest.raises(AttributeError):
        problem.ratio = 5.0  # type: ignore[misc]
