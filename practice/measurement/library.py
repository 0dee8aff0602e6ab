"""The shipped instruments, transcribed from the clinical reference
(../shared/reference/instruments.md; section and source tags in each ``source``). Every
definition is validated when this module is imported: a broken shipped definition stops the
process rather than scoring a client wrongly.

Values the reference marks UNVERIFIED are left out (None), never guessed. ``WORDING`` records
where each instrument's item text comes from, because the reference does not print every stem.
"""

from __future__ import annotations

from collections.abc import Sequence

from practice.measurement.definitions import (
    Advisory,
    Band,
    Condition,
    CriticalItem,
    DefinitionError,
    InstrumentDefinition,
    Item,
    MissingRule,
    ResponseOption,
    SexBands,
    Subscale,
    validate_definition,
)


class UnknownInstrument(LookupError):
    pass


def _options(*pairs: tuple[str, int], codes: Sequence[str | None] = ()) -> tuple[
        ResponseOption, ...]:
    codes = tuple(codes) or (None,) * len(pairs)
    return tuple(ResponseOption(label, points, code)
                 for (label, points), code in zip(pairs, codes, strict=True))


def _items(texts: Sequence[str], options: tuple[ResponseOption, ...],
           loincs: Sequence[str | None] = ()) -> tuple[Item, ...]:
    loincs = tuple(loincs) or (None,) * len(texts)
    return tuple(Item(key=f"q{number}", text=text, options=options, loinc=loinc)
                 for number, (text, loinc) in enumerate(zip(texts, loincs, strict=True), 1))


def _bands(*rows: tuple[str, str, int, int]) -> tuple[Band, ...]:
    return tuple(Band(key, label, lower, upper) for key, label, lower, upper in rows)


def _keys(*numbers: int) -> tuple[str, ...]:
    return tuple(f"q{number}" for number in numbers)


SCREEN = _bands(("negative", "Negative screen", 0, 2), ("positive", "Positive screen", 3, 6))

# --- PHQ family (§2) -------------------------------------------------------------------------

# LOINC answer list LL358-3 (§2.1, §10.2); GAD-7 uses the same list (§2.3).
FREQUENCY = _options(("Not at all", 0), ("Several days", 1), ("More than half the days", 2),
                     ("Nearly every day", 3),
                     codes=("LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"))
TWO_WEEKS = ("Over the last 2 weeks, how often have you been bothered by any of the following "
             "problems?")

PHQ9_TEXTS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family "
    "down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ9_LOINC = ("44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8")
PHQ9_DIFFICULTY = Item(
    key="q10",
    text="If you checked off any problems, how difficult have these problems made it for you to "
         "do your work, take care of things at home, or get along with other people?",
    # Not added to the total (§2.1); the points only record the order of the answers.
    options=_options(("Not difficult at all", 0), ("Somewhat difficult", 1),
                     ("Very difficult", 2), ("Extremely difficult", 3),
                     codes=("LA6572-7", "LA6573-5", "LA6575-0", "LA6574-3")),
    scored=False,
    loinc="69722-7",
)

PHQ9 = InstrumentDefinition(
    key="phq9",
    version=1,
    title="PHQ-9 (Patient Health Questionnaire-9)",
    stem=TWO_WEEKS,
    items=_items(PHQ9_TEXTS, FREQUENCY, PHQ9_LOINC) + (PHQ9_DIFFICULTY,),
    bands=_bands(("minimal", "None / minimal", 0, 4), ("mild", "Mild", 5, 9),
                 ("moderate", "Moderate", 10, 14),
                 ("moderately_severe", "Moderately severe", 15, 19),
                 ("severe", "Severe", 20, 27)),
    critical_items=(CriticalItem(
        "q9", 1, "PHQ-9 item 9 (thoughts of being better off dead or of self-harm) is above 0: "
                 "same-day risk review, whatever the total."),),
    # NHS Data Dictionary: one or two missing items take the mean of the answered ones.
    missing_rule=MissingRule("prorate", 2),
    reliable_change=6,
    clinical_cutoff=10,
    loinc_panel="44249-1",
    loinc_total="44261-6",
    source="§2.1 [S1a][S20][S21][S2a][S71]",
)

PHQ2 = InstrumentDefinition(
    key="phq2",
    version=1,
    title="PHQ-2 (Patient Health Questionnaire-2)",
    stem=TWO_WEEKS,
    items=_items(PHQ9_TEXTS[:2], FREQUENCY, PHQ9_LOINC[:2]),
    bands=SCREEN,
    loinc_panel="55757-9",
    loinc_total="55758-7",
    source="§2.2 [S22][S5a]; no suicide item: a negative PHQ-2 does not rule out risk",
)

GAD7_TEXTS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
GAD7_LOINC = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")

GAD7 = InstrumentDefinition(
    key="gad7",
    version=1,
    title="GAD-7 (Generalised Anxiety Disorder-7)",
    stem=TWO_WEEKS,
    items=_items(GAD7_TEXTS, FREQUENCY, GAD7_LOINC),
    bands=_bands(("minimal", "Minimal", 0, 4), ("mild", "Mild", 5, 9),
                 ("moderate", "Moderate", 10, 14), ("severe", "Severe", 15, 21)),
    missing_rule=MissingRule("prorate", 2),
    reliable_change=4,
    clinical_cutoff=8,  # NHS Talking Therapies caseness (the screening cut-off is 10)
    loinc_panel="69737-5",
    loinc_total="70274-6",
    source="§2.3 [S23][S1c][S25b][S71][S7]",
)

GAD2 = InstrumentDefinition(
    key="gad2",
    version=1,
    title="GAD-2 (Generalised Anxiety Disorder-2)",
    stem=TWO_WEEKS,
    items=_items(GAD7_TEXTS[:2], FREQUENCY, GAD7_LOINC[:2]),
    bands=SCREEN,
    source="§2.4 [S24][S25]; total-score LOINC unverified",
)

PHQ4 = InstrumentDefinition(
    key="phq4",
    version=1,
    title="PHQ-4 (Patient Health Questionnaire-4)",
    stem=TWO_WEEKS,
    items=_items(GAD7_TEXTS[:2] + PHQ9_TEXTS[:2], FREQUENCY, GAD7_LOINC[:2] + PHQ9_LOINC[:2]),
    bands=_bands(("none", "None / normal", 0, 2), ("mild", "Mild", 3, 5),
                 ("moderate", "Moderate", 6, 8), ("severe", "Severe", 9, 12)),
    subscales=(Subscale("anxiety", "Anxiety (GAD-2)", _keys(1, 2), bands=SCREEN),
               Subscale("depression", "Depression (PHQ-2)", _keys(3, 4), bands=SCREEN)),
    source="§2.5 [S24]; panel and total LOINC unverified",
)

PHQ15 = InstrumentDefinition(
    key="phq15",
    version=1,
    title="PHQ-15 (somatic symptom severity)",
    stem="During the past 4 weeks, how much have you been bothered by any of the following "
         "problems?",
    items=_items(
        ("Stomach pain", "Back pain", "Pain in your arms, legs, or joints (knees, hips, etc.)",
         "Menstrual cramps or other problems with your periods (WOMEN ONLY)", "Headaches",
         "Chest pain", "Dizziness", "Fainting spells", "Feeling your heart pound or race",
         "Shortness of breath", "Pain or problems during sexual intercourse",
         "Constipation, loose bowels, or diarrhea", "Nausea, gas, or indigestion",
         "Feeling tired or having low energy", "Trouble sleeping"),
        _options(("Not bothered at all", 0), ("Bothered a little", 1), ("Bothered a lot", 2)),
        ("69671-6",) + (None,) * 14),
    bands=_bands(("minimal", "Minimal", 0, 4), ("low", "Low", 5, 9),
                 ("medium", "Medium", 10, 14), ("high", "High", 15, 30)),
    loinc_panel="69728-4",
    source="§2.6 [S26][S27][S8]; handling of item 4 for men unverified: not scored unless "
           "answered",
)

# --- PCL-5 (§3) ------------------------------------------------------------------------------

PCL5 = InstrumentDefinition(
    key="pcl5",
    version=1,
    title="PCL-5 (PTSD Checklist for DSM-5)",
    stem="In the past month, how much were you bothered by:",
    items=_items(
        ("Repeated, disturbing, and unwanted memories of the stressful experience?",
         "Repeated, disturbing dreams of the stressful experience?",
         "Suddenly feeling or acting as if the stressful experience were actually happening "
         "again (as if you were actually back there reliving it)?",
         "Feeling very upset when something reminded you of the stressful experience?",
         "Having strong physical reactions when something reminded you of the stressful "
         "experience (for example, heart pounding, trouble breathing, sweating)?",
         "Avoiding memories, thoughts, or feelings related to the stressful experience?",
         "Avoiding external reminders of the stressful experience (for example, people, places, "
         "conversations, activities, objects, or situations)?",
         "Trouble remembering important parts of the stressful experience?",
         "Having strong negative beliefs about yourself, other people, or the world (for "
         "example, having thoughts such as: I am bad, there is something seriously wrong with "
         "me, no one can be trusted, the world is completely dangerous)?",
         "Blaming yourself or someone else for the stressful experience or what happened after "
         "it?",
         "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
         "Loss of interest in activities that you used to enjoy?",
         "Feeling distant or cut off from other people?",
         "Trouble experiencing positive feelings (for example, being unable to feel happiness "
         "or have loving feelings for people close to you)?",
         "Irritable behavior, angry outbursts, or acting aggressively?",
         "Taking too many risks or doing things that could cause you harm?",
         "Being \"superalert\" or watchful or on guard?",
         "Feeling jumpy or easily startled?",
         "Having difficulty concentrating?",
         "Trouble falling or staying asleep?"),
        _options(("Not at all", 0), ("A little bit", 1), ("Moderately", 2), ("Quite a bit", 3),
                 ("Extremely", 4))),
    # No empirically derived severity ranges; the reference recommends a configurable
    # provisional cut-off, default 33 (§3, §13).
    bands=_bands(("below_cutoff", "Below the provisional PTSD cut-off", 0, 32),
                 ("probable_ptsd", "Probable PTSD: needs clinical interview", 33, 80)),
    subscales=(Subscale("b", "Cluster B (intrusions)", _keys(1, 2, 3, 4, 5)),
               Subscale("c", "Cluster C (avoidance)", _keys(6, 7)),
               Subscale("d", "Cluster D (negative cognitions and mood)",
                        _keys(8, 9, 10, 11, 12, 13, 14)),
               Subscale("e", "Cluster E (arousal and reactivity)", _keys(15, 16, 17, 18, 19, 20))),
    # Jacobson-Truax RCI 15–18 (Marx 2022); NCPTSD response 5 / clinically meaningful 10.
    reliable_change=15,
    clinical_cutoff=33,
    source="§3 [S28][S29][S77]; proration rule and LOINC unverified",
)

# --- wellbeing and distress (§5) -------------------------------------------------------------

WHO5_TEXTS = (
    "I have felt cheerful and in good spirits",
    "I have felt calm and relaxed",
    "I have felt active and vigorous",
    "I woke up feeling fresh and rested",
    "My daily life has been filled with things that interest me",
)

WHO5 = InstrumentDefinition(
    key="who5",
    version=1,
    title="WHO-5 Well-Being Index",
    stem="Over the last two weeks:",
    items=_items(WHO5_TEXTS, _options(
        ("All of the time", 5), ("Most of the time", 4), ("More than half of the time", 3),
        ("Less than half of the time", 2), ("Some of the time", 1), ("At no time", 0))),
    multiplier=4,  # percentage score = raw × 4
    # Raw < 13 and percentage ≤ 50 select the same respondents (raw 12 = 48 %, 13 = 52 %).
    bands=_bands(("poor", "Poor well-being: screen for depression", 0, 50),
                 ("above_threshold", "Above the poor well-being threshold", 51, 100)),
    advisories=(Advisory(
        "item_low",
        "An item was answered 0 or 1 ('At no time' or 'Some of the time'): administer a "
        "depression inventory.",
        tuple(Condition((f"q{number}",), "<=", 1) for number in range(1, 6))),),
    reliable_change=10,  # percentage points (§5.1, §9.3)
    higher_is_better=True,
    source="§5.1 [S36][S37][S38]; LOINC unverified",
)

KESSLER_FREQUENCY = (("None of the time", 1), ("A little of the time", 2),
                     ("Some of the time", 3), ("Most of the time", 4), ("All of the time", 5))

K10 = InstrumentDefinition(
    key="k10",
    version=1,
    title="K10 (Kessler Psychological Distress Scale, Australian scoring 10–50)",
    stem="In the past 4 weeks, about how often did you feel…",
    items=_items(
        ("…tired out for no good reason?", "…nervous?",
         "…so nervous that nothing could calm you down?", "…hopeless?",
         "…restless or fidgety?", "…so restless you could not sit still?", "…depressed?",
         "…that everything was an effort?", "…so sad that nothing could cheer you up?",
         "…worthless?"),
        _options(*KESSLER_FREQUENCY)),
    bands=_bands(("low", "Low", 10, 15), ("moderate", "Moderate", 16, 21),
                 ("high", "High", 22, 29), ("very_high", "Very high", 30, 50)),
    source="§5.2 [S39] ABS / Andrews & Slade bands; proration, RCI and LOINC unverified",
)

K6 = InstrumentDefinition(
    key="k6",
    version=1,
    title="K6 (Kessler Psychological Distress Scale, 0–24)",
    stem="During the past 30 days, about how often did you feel…",
    items=_items(
        ("…nervous?", "…hopeless?", "…restless or fidgety?",
         "…so depressed that nothing could cheer you up?", "…that everything was an effort?",
         "…worthless?"),
        _options(*((label, points - 1) for label, points in KESSLER_FREQUENCY))),
    bands=_bands(("below_moderate", "Below the moderate-distress threshold", 0, 4),
                 ("moderate", "Moderate mental distress", 5, 12),
                 ("serious", "Serious psychological distress", 13, 24)),
    source="§5.3 [S41][S42]",
)

CORE10 = InstrumentDefinition(
    key="core10",
    version=1,
    title="CORE-10",
    stem="Over the last week...",
    items=tuple(
        Item(key=f"q{number}", text=text, reverse_keyed=number in (2, 3), options=_options(
            ("Not at all", 0), ("Only occasionally", 1), ("Sometimes", 2), ("Often", 3),
            ("Most or all of the time", 4)))
        for number, text in enumerate((
            "I have felt tense, anxious or nervous",
            "I have felt I have someone to turn to for support when needed",
            "I have felt able to cope when things go wrong",
            "Talking to people has felt too much for me",
            "I have felt panic or terror",
            "I made plans to end my life",
            "I have had difficulty getting to sleep or staying asleep",
            "I have felt despairing or hopeless",
            "I have felt unhappy",
            "Unwanted images or memories have been distressing me"), start=1)),
    # Band scheme A (CORE-OM style, [S49]); it agrees with the clinical cut-off of 11.
    bands=_bands(("low", "Healthy / low level", 0, 10), ("mild", "Mild", 11, 14),
                 ("moderate", "Moderate", 15, 19),
                 ("moderate_to_severe", "Moderate-to-severe", 20, 24),
                 ("severe", "Severe", 25, 40)),
    critical_items=(CriticalItem(
        "q6", 1, "CORE-10 item 6 (made plans to end my life) is above 0: not low risk even with "
                 "a low total; review now."),),
    # Clinical score = 10 × total / items completed, for at most one missing item.
    missing_rule=MissingRule("prorate", 1),
    reliable_change=6,
    clinical_cutoff=11,
    source="§5.5 [S1i][S49][S49b][S51][S51b]; LOINC unverified",
)

DASS_OPTIONS = _options(
    ("Did not apply to me at all", 0),
    ("Applied to me to some degree, or some of the time", 1),
    ("Applied to me to a considerable degree, or a good part of time", 2),
    ("Applied to me very much, or most of the time", 3))
DASS_RULE = MissingRule("prorate", 1)  # at least 6 of 7 items per subscale

DASS21 = InstrumentDefinition(
    key="dass21",
    version=1,
    title="DASS-21 (Depression Anxiety Stress Scales)",
    stem="Please read each statement and choose how much the statement applied to you over the "
         "past week.",
    items=_items((
        "I found it hard to wind down",
        "I was aware of dryness of my mouth",
        "I couldn't seem to experience any positive feeling at all",
        "I experienced breathing difficulty (eg, excessively rapid breathing, breathlessness in "
        "the absence of physical exertion)",
        "I found it difficult to work up the initiative to do things",
        "I tended to over-react to situations",
        "I experienced trembling (eg, in the hands)",
        "I felt that I was using a lot of nervous energy",
        "I was worried about situations in which I might panic and make a fool of myself",
        "I felt that I had nothing to look forward to",
        "I found myself getting agitated",
        "I found it difficult to relax",
        "I felt down-hearted and blue",
        "I was intolerant of anything that kept me from getting on with what I was doing",
        "I felt I was close to panic",
        "I was unable to become enthusiastic about anything",
        "I felt I wasn't worth much as a person",
        "I felt that I was rather touchy",
        "I was aware of the action of my heart in the absence of physical exertion (eg, sense of "
        "heart rate increase, heart missing a beat)",
        "I felt scared without any good reason",
        "I felt that life was meaningless"), DASS_OPTIONS),
    has_total=False,
    subscales=(
        Subscale("depression", "Depression", _keys(3, 5, 10, 13, 16, 17, 21), multiplier=2,
                 missing_rule=DASS_RULE,
                 bands=_bands(("normal", "Normal", 0, 9), ("mild", "Mild", 10, 13),
                              ("moderate", "Moderate", 14, 20), ("severe", "Severe", 21, 27),
                              ("extremely_severe", "Extremely severe", 28, 42))),
        Subscale("anxiety", "Anxiety", _keys(2, 4, 7, 9, 15, 19, 20), multiplier=2,
                 missing_rule=DASS_RULE,
                 bands=_bands(("normal", "Normal", 0, 7), ("mild", "Mild", 8, 9),
                              ("moderate", "Moderate", 10, 14), ("severe", "Severe", 15, 19),
                              ("extremely_severe", "Extremely severe", 20, 42))),
        Subscale("stress", "Stress", _keys(1, 6, 8, 11, 12, 14, 18), multiplier=2,
                 missing_rule=DASS_RULE,
                 bands=_bands(("normal", "Normal", 0, 14), ("mild", "Mild", 15, 18),
                              ("moderate", "Moderate", 19, 25), ("severe", "Severe", 26, 33),
                              ("extremely_severe", "Extremely severe", 34, 42))),
    ),
    missing_rule=DASS_RULE,
    source="§5.7 [S56][S56b][S57][S57b] Lovibond 1995 bands on doubled scores; LOINC unverified",
)

# --- substance use (§4) ----------------------------------------------------------------------

AUDIT_FREQUENCY = (("Never", 0), ("Less than monthly", 1), ("Monthly", 2), ("Weekly", 3),
                   ("Daily or almost daily", 4))
AUDIT_C_ITEMS = (
    Item("q1", "How often do you have a drink containing alcohol?", _options(
        ("Never", 0), ("Monthly or less", 1), ("2 to 4 times a month", 2),
        ("2 to 3 times a week", 3), ("4 or more times a week", 4)), loinc="68518-0"),
    Item("q2", "How many drinks containing alcohol do you have on a typical day when you are "
               "drinking?", _options(
        ("1 or 2", 0), ("3 or 4", 1), ("5 or 6", 2), ("7, 8, or 9", 3), ("10 or more", 4)),
        loinc="68519-8"),
    Item("q3", "How often do you have six or more drinks on one occasion?",
         _options(*AUDIT_FREQUENCY), loinc="68520-6"),
)

AUDIT_C = InstrumentDefinition(
    key="auditc",
    version=1,
    title="AUDIT-C (Alcohol Use Disorders Identification Test - Consumption)",
    items=AUDIT_C_ITEMS,
    # US cut-offs (Bradley/Bush): positive at 4 or more for men, 3 or more for women.
    sex_bands=(
        SexBands("female", _bands(("negative", "Negative", 0, 2),
                                  ("positive", "Positive: hazardous drinking or active alcohol "
                                               "use disorder likely", 3, 12))),
        SexBands("male", _bands(("negative", "Negative", 0, 3),
                                ("positive", "Positive: hazardous drinking or active alcohol "
                                             "use disorder likely", 4, 12))),
    ),
    advisories=(Advisory(
        "question_1_only",
        "All points come from question 1 (questions 2 and 3 are 0): likely drinking below "
        "recommended limits; the care provider may review.",
        (Condition(("q1",), ">=", 1), Condition(("q2", "q3"), "==", 0)), match="all"),),
    loinc_panel="72109-2",
    loinc_total="75626-2",
    source="§4.2 [S2b][S33][S33b][S5c][S9]; US version, not the UK AUDIT-C",
)

# --- C-SSRS screener (§8) --------------------------------------------------------------------

YES_NO = (ResponseOption("No", 0, "LA32-8"), ResponseOption("Yes", 1))  # "Yes" code unverified
AFTER_Q2 = (Condition(("q2",), ">=", 1),)

CSSRS_SCREENER = InstrumentDefinition(
    key="cssrs_screener",
    version=1,
    title="C-SSRS screener (Columbia Suicide Severity Rating Scale)",
    items=(
        Item("q1", "Wish to be dead / go to sleep and not wake up (past month)", YES_NO,
             loinc="93246-7"),
        Item("q2", "Non-specific active suicidal thoughts (past month)", YES_NO,
             loinc="93247-5"),
        Item("q3", "Thoughts with method (no plan/intent)", YES_NO, loinc="93248-3",
             ask_if=AFTER_Q2),
        Item("q4", "Suicidal intent without specific plan", YES_NO, loinc="93249-1",
             ask_if=AFTER_Q2),
        Item("q5", "Intent with specific plan", YES_NO, loinc="93250-9", ask_if=AFTER_Q2),
        Item("q6", "Suicidal behaviour — ever done, started or prepared anything to end life",
             YES_NO, loinc="93267-3"),
        Item("q6b", "Was this within the past 3 months?", YES_NO, loinc="93269-9",
             ask_if=(Condition(("q6",), ">=", 1),)),
    ),
    has_total=False,
    loinc_total="93374-7",  # suicide risk level, derived
    scorer="cssrs_triage",
    source="§8 [S40][S44][S45][S4]; panel LOINC unverified",
)

# --- daily mood ------------------------------------------------------------------------------

MOOD = InstrumentDefinition(
    key="mood",
    version=1,
    title="Daily mood check-in",
    items=(
        Item("mood", "How is your mood today?", tuple(
            ResponseOption({0: "0 (very low)", 10: "10 (very good)"}.get(points, str(points)),
                           points) for points in range(11))),
        Item("note", "Anything you want to add? (optional)", kind="text", scored=False),
    ),
    higher_is_better=True,
    source="Tandem's own check-in; no bands or reliable-change value are published",
)

# Where the item wording comes from. The reference prints some stems verbatim and withholds
# others (licence, or "see the official form").
WORDING = {
    "phq9": "reference §2.1, verbatim",
    "phq2": "reference §2.1 (PHQ-9 items 1–2)",
    "gad7": "reference §2.3, verbatim",
    "gad2": "reference §2.3 (GAD-7 items 1–2)",
    "phq4": "reference §2.3 and §2.1 (GAD-2 + PHQ-2)",
    "phq15": "CamCOPS phq15.xml, the reference's source [S1]",
    "pcl5": "reference §3, verbatim",
    "who5": "not printed in the reference: public WHO-5 wording, cross-checked",
    "k10": "not printed in the reference: public K10 wording, cross-checked",
    "k6": "reference §5.3 item list, with the K10 stem",
    "core10": "CamCOPS core10.xml, the reference's source [S1i-strings]",
    "dass21": "not printed in the reference: the DASS-21 form as on [S56b], cross-checked",
    "auditc": "Q1 from its LOINC display (§4.2); Q2 and Q3 from the WHO AUDIT (licence: §13)",
    "cssrs_screener": "reference §8 short labels: replace with the Columbia form's wording "
                      "before clients see it",
    "mood": "Tandem's own",
}

SHIPPED: tuple[InstrumentDefinition, ...] = (
    PHQ9, PHQ2, GAD7, GAD2, PHQ4, PHQ15, PCL5, WHO5, K10, K6, CORE10, AUDIT_C, CSSRS_SCREENER,
    DASS21, MOOD,
)


def _register(definitions: Sequence[InstrumentDefinition]) -> dict[
        str, dict[int, InstrumentDefinition]]:
    registry: dict[str, dict[int, InstrumentDefinition]] = {}
    for definition in definitions:
        where = f"shipped {definition.key} v{definition.version}"
        try:
            validate_definition(definition)
        except DefinitionError as error:
            raise DefinitionError([f"{where}: {message}" for message in error.messages]) from error
        if definition.version in registry.setdefault(definition.key, {}):
            raise DefinitionError([f"{where} is defined twice"])
        registry[definition.key][definition.version] = definition
    return registry


_REGISTRY = _register(SHIPPED)


def shipped_keys() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def shipped_definitions() -> tuple[InstrumentDefinition, ...]:
    """The latest version of each shipped instrument."""
    return tuple(get_definition(key) for key in _REGISTRY)


def get_definition(key: str, version: int | None = None) -> InstrumentDefinition:
    """A shipped definition, the latest version unless one is pinned."""
    versions = _REGISTRY.get(key)
    if not versions:
        raise UnknownInstrument(f"no shipped instrument {key!r} (known: "
                                f"{', '.join(_REGISTRY)})")
    if version is None:
        return versions[max(versions)]
    if version not in versions:
        raise UnknownInstrument(f"{key} has no version {version}")
    return versions[version]
