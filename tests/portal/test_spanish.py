"""Spanish pages have no untranslated strings.

The catalogue (locale/es/LC_MESSAGES/django.po, one for the whole project) holds every string the
code marks for translation, none of them empty or fuzzy, with its placeholders kept, and the
committed .mo is compiled from it. Then every page of the portal's URLconf, rendered for a client
who chose Spanish (with goals, homework, journal, resources, a safety plan and scores, so the
pages show what they can), contains none of the catalogue's English and no English sentence at
all once the client's own data and the instruments' published wording are taken out: a page
added to the portal later is covered without anyone remembering to, and a string nobody marked
is found too. `make translations` refreshes the catalogue (README, "English and Spanish")."""

from __future__ import annotations

import dataclasses
import gettext
import html
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from portal import catalogue, invitations
from portal.models import ClientAccess
from portal.services import mood_checkin_submit
from practice.care import services as care
from practice.care.models import JournalEntry
from practice.care.services import ResourceInput
from practice.disclosure import services as disclosure_services
from practice.measurement.library import get_definition
from practice.measurement.models import Response
from tenants.actor import Actor
from tenants.features import MODULE_KEYS, MODULES
from tenants.models import Practice
from tests.conftest import PracticeWorld
from tests.portal.helpers import assign, prepare, submit_phq9

LOCALE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES"
PO_FILE, MO_FILE = LOCALE / "django.po", LOCALE / "django.mo"
# What `make translations` leaves out (the Makefile's TRANSLATION_IGNORES).
IGNORED = ["tests", "bench", "infra", "terraform", "docs", "*.egg-info", "locale"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
# Spanish has three plural forms (one, "de millones", other): Plural-Forms in the header.
PLURAL_FORMS = 3
# English words no Spanish sentence contains: one on a Spanish page is a string nobody marked.
ENGLISH = re.compile(r"\b(the|your|you|and|with|this|that|are|for|from|have|will|what|when|"
                     r"how|please|here|there|been|which|yet|our|they|within)\b", re.IGNORECASE)


# --- the catalogue ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    context: str
    msgid: str
    plural: str
    translations: tuple[str, ...]
    flags: tuple[str, ...]
    is_python_format: bool


def _unquote(lines: list[str]) -> str:
    return "".join(
        bytes(line.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1")
        .decode("utf-8") for line in lines)


def parse_po(text: str) -> list[Entry]:
    """Entries of a .po/.pot (the header included, as msgid "")."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        fields: dict[str, list[str]] = {}
        flags: list[str] = []
        current = None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags += [flag.strip() for flag in line[2:].split(",")]
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current].append(line)  # type: ignore[index]
            else:
                current, _, rest = line.partition(" ")
                fields[current] = [rest]
        if "msgid" not in fields:
            continue
        translations = tuple(_unquote(fields[key]) for key in sorted(fields)
                             if key.startswith("msgstr"))
        entries.append(Entry(
            context=_unquote(fields.get("msgctxt", ['""'])), msgid=_unquote(fields["msgid"]),
            plural=_unquote(fields.get("msgid_plural", ['""'])), translations=translations,
            flags=tuple(flags), is_python_format="python-format" in flags))
    return entries


def committed() -> list[Entry]:
    return parse_po(PO_FILE.read_text(encoding="utf-8"))


def test_the_catalogue_has_no_empty_or_fuzzy_entry_and_keeps_every_placeholder() -> None:
    entries = committed()
    header, messages = entries[0], entries[1:]
    assert header.msgid == ""
    assert "fuzzy" not in header.flags
    assert "Language: es\n" in header.translations[0]
    assert f"nplurals={PLURAL_FORMS};" in header.translations[0]
    assert len(messages) > 300
    problems = []
    for entry in messages:
        label = f"{entry.context + ' | ' if entry.context else ''}{entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {label}")
        if not all(text.strip() for text in entry.translations):
            problems.append(f"untranslated: {label}")
        if entry.plural and len(entry.translations) != PLURAL_FORMS:
            problems.append(f"needs {PLURAL_FORMS} plural forms: {label}")
        wanted = set(PLACEHOLDER.findall(entry.msgid + entry.plural))
        for text in entry.translations:
            if entry.is_python_format and set(PLACEHOLDER.findall(text)) - wanted:
                problems.append(f"unknown placeholder in {text!r}: {label}")
            if entry.is_python_format and not entry.plural and \
                    set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ in {text!r}: {label}")
    assert problems == [], "\n".join(problems)


def test_the_compiled_catalogue_is_the_committed_one() -> None:
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
    expected: dict[Any, str] = {}
    for entry in committed():
        key = f"{entry.context}\x04{entry.msgid}" if entry.context else entry.msgid
        if entry.plural:
            for index, text in enumerate(entry.translations):
                expected[(key, index)] = text
        else:
            expected[key] = entry.translations[0]
    compiled.pop("", None)
    expected.pop("", None)
    assert compiled == expected, "run `make translations` to compile django.mo"


class _Collect(makemessages.Command):
    """makemessages that keeps what it collected instead of writing any .po."""

    collected = ""

    def write_po_file(self, potfile: str, locale: str) -> None:
        _Collect.collected = Path(potfile).read_text(encoding="utf-8")


def test_every_marked_string_is_in_the_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    assert shutil.which("xgettext"), "install GNU gettext (apt-get install gettext)"
    monkeypatch.chdir(settings.BASE_DIR)
    call_command(_Collect(), locale=["es"], ignore_patterns=IGNORED, verbosity=0)
    found = {(entry.context, entry.msgid, entry.plural) for entry in parse_po(_Collect.collected)
             if entry.msgid}
    have = {(entry.context, entry.msgid, entry.plural) for entry in committed() if entry.msgid}
    assert sorted(found - have) == [], "new strings: run `make translations` and translate them"
    assert sorted(have - found) == [], "strings no longer used: run `make translations`"


def test_every_module_label_is_in_the_catalogue() -> None:
    """The menu translates each module's label as a value (base.html)."""
    assert sorted(module.label for module in MODULES) == sorted(catalogue.MODULE_LABELS)


# --- every portal page, in Spanish -------------------------------------------------------------

def english_fragments(entries: list[Entry]) -> list[str]:
    """The English of the catalogue worth looking for: each run of words between
    placeholders and tags, of two words or more, or one word of five letters or more.
    Entries translated to the same text (a proper name) are left out."""
    fragments = set()
    for entry in entries:
        if not entry.msgid or all(text == entry.msgid for text in entry.translations):
            continue
        for source in (entry.msgid, entry.plural):
            for piece in re.split(r"%\(\w+\)[sd]|%[sd]|<[^>]+>", html.unescape(source)):
                piece = piece.strip(" .,:;!?()“”\"'·-–—")
                words = re.findall(r"[A-Za-z][A-Za-z'’]*", piece)
                if len(words) >= 2 or (len(words) == 1 and len(words[0]) >= 5
                                       and words[0] == piece):
                    fragments.add(piece)
    return sorted(fragments, key=len, reverse=True)


class _Visible(HTMLParser):
    """Text a person reads or hears: text nodes (not scripts or styles) and the attributes
    screen readers and browsers show."""

    SHOWN_ATTRIBUTES = frozenset({"title", "alt", "aria-label", "placeholder"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_depth = 0
        self._untranslated: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden_depth += 1
        if ("translate", "no") in attrs:  # e.g. a random MFA key: not words in any language
            self._untranslated.append(tag)
            self._hidden_depth += 1
        for name, value in attrs:
            if value and (name in self.SHOWN_ATTRIBUTES or name.startswith("data-text")):
                self.parts.append(value)
        if tag == "input":
            values = dict(attrs)
            if values.get("type") in ("submit", "button") and values.get("value"):
                self.parts.append(values["value"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden_depth -= 1
        if self._untranslated and self._untranslated[-1] == tag:
            self._untranslated.pop()
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth and data.strip():
            self.parts.append(data)


def visible_text(body: str) -> str:
    parser = _Visible()
    parser.feed(body)
    return "\n".join(" ".join(part.split()) for part in parser.parts)


def published_wording(keys: tuple[str, ...]) -> list[str]:
    """Every text of these instruments' definitions (items, options, bands...): published
    instrument wording, not ours to translate."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if len(value) >= 3:
                texts.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                walk(getattr(value, field.name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)

    for key in keys:
        walk(get_definition(key))
    return sorted(set(texts), key=len, reverse=True)


@dataclass
class SpanishWorld:
    world: PracticeWorld
    http: Client
    ids: dict[str, Any]


# Addresses needing an object: what to put in them, by URL name.
PAGE_KWARGS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "portal:assessments:answer": lambda ids: {"response_id": ids["open_response"]},
    "portal:assessments:review": lambda ids: {"response_id": ids["open_response"]},
    "portal:assessments:submit": lambda ids: {"response_id": ids["open_response"]},
    "portal:assessments:result": lambda ids: {"response_id": ids["submitted_response"]},
    "portal:goals:progress": lambda ids: {"goal_id": ids["goal"]},
    "portal:homework:done": lambda ids: {"homework_id": ids["homework"]},
    "portal:journal:sharing": lambda ids: {"entry_id": ids["journal_entry"]},
    "portal:resources:detail": lambda ids: {"resource_id": ids["resource"]},
    "portal:invitation_accept": lambda ids: {"token": ids["invitation_token"]},
    "portal:disclosure:sign": lambda ids: {"release_id": ids["release"]},
    "portal:disclosure:revoke": lambda ids: {"release_id": ids["release"]},
}
# Opened without a session (in the browser's language, Spanish here).
ANONYMOUS = {"portal:invitation_accept"}
# Addresses that are not a page for the client, or not words.
NOT_PAGES = {
    "portal:account_staff_mfa": "the owner's page",
    "portal:service_worker": "JavaScript",
    "portal:resources:file": "a file download",
    "portal:documents:files:download": "a file download",
    "portal:documents:forms:pdf": "a PDF",
    "portal:billing:pdf": "a PDF",
}
# Pages that need another capability's data to render: give PAGE_KWARGS an entry (and make
# the data in spanish_world) to cover one.
NEEDS_DATA = {
    "portal:messaging:conversation", "portal:messaging:edit",
    "portal:documents:forms:fill", "portal:documents:forms:sign",
    "portal:booking:cancel", "portal:booking:join", "portal:booking:move",
    "portal:booking:waitlist_leave", "portal:booking:offer_answer",
    "portal:billing:detail",
}


def portal_routes() -> Iterator[tuple[str, list[str]]]:
    """(URL name, parameter names) of every address in the portal's URLconf."""
    def walk(patterns: list[Any], namespaces: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespaces + ((pattern.namespace,) if pattern.namespace else ())
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield ":".join((*namespaces, pattern.name or "?")), pattern.pattern

    for name, pattern in walk(get_resolver("config.urls_tenant").url_patterns, ()):
        if name.startswith("portal:"):
            yield name, list(pattern.converters)


@pytest.fixture
def spanish_world(alpha, mailbox, django_capture_on_commit_callbacks) -> SpanishWorld:
    prepare(alpha, crisis_line="555 0199")
    Practice.objects.filter(pk=alpha.practice.pk).update(enabled_modules=sorted(MODULE_KEYS))
    alpha.practice.refresh_from_db()
    submit_phq9(alpha, 16)
    submitted = submit_phq9(alpha, 9)
    open_response = assign(alpha, "phq9")
    today = timezone.now().date()
    with schema_context(alpha.practice.schema_name):
        ClientAccess.objects.update_or_create(user=alpha.client, defaults={
            "language": "es", "visible_modules": sorted(MODULE_KEYS),
            "accepted_at": timezone.now(), "preferred_name": "Chris"})
        goal = care.goal_create(client_id=alpha.client.pk, title="Dormir mejor",
                                description="Acostarme antes de las once",
                                target_value=Decimal(5), target_unit="noches",
                                milestones=["Apagar el teléfono", "Leer un rato"],
                                actor=Actor.of(alpha.clinician))
        care.goal_progress_record(goal_id=goal.pk, value=Decimal(3), note="Bien",
                                  actor=Actor.of(alpha.client))
        resource = care.resource_create(data=ResourceInput(
            kind="text", title="Respiración lenta", description="Cinco minutos",
            body="Inhale contando hasta cuatro."), actor=Actor.of(alpha.clinician))
        care.resource_share(client_id=alpha.client.pk, resource_id=resource.pk,
                            actor=Actor.of(alpha.clinician))
        homework = care.homework_assign(client_id=alpha.client.pk, instructions="Caminar",
                                        due_on=today - timedelta(days=1),
                                        resource_id=resource.pk, actor=Actor.of(alpha.clinician))
        care.homework_assign(client_id=alpha.client.pk, instructions="Respirar",
                             due_on=today + timedelta(days=3), repeats_weekly=True,
                             actor=Actor.of(alpha.clinician))
        entry = care.journal_entry_create(body="Hoy fue un buen día", is_shared=True,
                                          actor=Actor.of(alpha.client))
        care.journal_entry_create(body="Algo privado", is_shared=False,
                                  actor=Actor.of(alpha.client))
        care.safety_plan_save(client_id=alpha.client.pk, actor=Actor.of(alpha.clinician), sections={
            "warning_signs": ["Dormir mal"], "coping_strategies": ["Salir a caminar"],
            "distractions": ["La biblioteca"],
            "help_contacts": [{"name": "Ana", "phone": "555 0100"}],
            "professionals": [{"name": "Dra. Ruiz", "phone": "555 0111"}],
            "environment_safety": ["Guardar los medicamentos"],
            "reasons_for_living": ["Mi familia"]})
        care.safety_plan_client_add(section="reason", text="Mi perro",
                                    actor=Actor.of(alpha.client))
        mood_checkin_submit(client=alpha.client, mood=6, note="Tranquilo")
        release = disclosure_services.release_create(
            client_id=alpha.client.pk, practice_name=alpha.practice.name,
            actor=Actor.of(alpha.clinician), draft=disclosure_services.ReleaseDraft(
                recipient_name="Dra. Ana Gómez", recipient_organisation="Psiquiatría Norte",
                purpose="Revisión de la medicación", kinds=["scores", "goals"],
                instrument_keys=["phq9"], expires_on=today + timedelta(days=90)))
        with django_capture_on_commit_callbacks(execute=True):
            invitations.client_invite(
                actor=Actor.of(alpha.clinician, practice=alpha.practice),
                invite=invitations.ClientInvite(full_name="Nora Nueva", email="nora@example.org",
                                                phone="", modules=["assessments"]))
    connection.set_schema_to_public()
    token = re.search(r"/portal/invitation/([^/\s]+)/", mailbox.to("nora@example.org")[0]
                      .get_body(preferencelist=("plain",)).get_content()).group(1)
    ids = {"open_response": open_response, "submitted_response": submitted, "goal": goal.pk,
           "homework": homework.pk, "journal_entry": entry.pk, "resource": resource.pk,
           "invitation_token": token, "release": release.pk}
    return SpanishWorld(alpha, alpha.http(alpha.client), ids)


def english_on(body: str, fragments: list[str], data: list[str]) -> list[str]:
    """The catalogue's English found on the page, and English sentences nobody marked."""
    shown = visible_text(body)
    found = [f"catalogue: {fragment!r}" for fragment in fragments
             if re.search(rf"(?<![\w-]){re.escape(fragment)}(?![\w-])", shown)]
    for text in data:
        shown = shown.replace(text, " ")
    found += [f"unmarked: {line!r}" for line in shown.splitlines() if ENGLISH.search(line)]
    return found


def test_every_portal_page_in_spanish_has_no_english(spanish_world: SpanishWorld) -> None:
    fragments = english_fragments(committed())
    data = [*published_wording(("phq9", "gad7", "mood")), "Chris Client", "Casey Clinician",
            "Alpha Therapy"]
    anonymous = spanish_world.world.http()
    checked, problems = [], []

    def check(label: str, response: Any) -> None:
        body = response.content.decode()
        if '<html lang="es">' not in body:
            problems.append(f"{label}: not in Spanish (<html lang>)")
        problems.extend(f"{label}: {found}" for found in english_on(body, fragments, data))
        checked.append(label)

    for name, params in portal_routes():
        if name in NOT_PAGES or name in NEEDS_DATA:
            continue
        if params and name not in PAGE_KWARGS:
            problems.append(f"{name}: a new page with {params}: tell PAGE_KWARGS how to reach "
                            "it (or NEEDS_DATA why not yet)")
            continue
        path = reverse(name, kwargs=PAGE_KWARGS[name](spanish_world.ids) if params else None)
        http = anonymous if name in ANONYMOUS else spanish_world.http
        response = http.get(path, HTTP_ACCEPT_LANGUAGE="es")
        if response.status_code == 405:  # an action, posted from another page
            continue
        if response.status_code == 302:
            target = response["Location"]
            response = http.get(target, HTTP_ACCEPT_LANGUAGE="es")
            name = f"{name} -> {target}"
        if response.status_code not in (200, 403):  # a refusal is a page to read too
            problems.append(f"{name}: answered {response.status_code}")
            continue
        if not response["Content-Type"].startswith("text/html"):
            continue
        check(name, response)
    # A page in its other states: a request already sent; an answer refused.
    spanish_world.http.post(reverse("portal:urgent_contact"))
    check("urgent contact, sent", spanish_world.http.get(reverse("portal:urgent_contact")))
    check("mood, refused", spanish_world.http.post(reverse("portal:mood_checkin:checkin"),
                                                   {"mood": "12"}))
    assert problems == [], "\n".join(problems)
    assert len(checked) >= 30
    with schema_context(spanish_world.world.practice.schema_name):
        assert JournalEntry.objects.count() == 2  # looking changed nothing
        assert Response.objects.filter(status=Response.Status.SUBMITTED).count() == 3
    connection.set_schema_to_public()


def test_an_english_page_shows_english(alpha) -> None:
    """The other way round: a client who keeps English sees English (the check above is not
    passing because everything is always Spanish)."""
    prepare(alpha)
    body = alpha.http(alpha.client).get("/portal/").content.decode()
    assert '<html lang="en">' in body
    assert "Get help now" in body
    assert "Obtener ayuda ahora" not in body


def test_a_client_who_changes_language_sees_the_next_page_in_it(alpha) -> None:
    prepare(alpha)
    http = alpha.http(alpha.client)
    values = {"full_name": "Chris Client", "timezone": "America/Chicago", "language": "es"}
    assert http.post("/portal/settings/", values).status_code == 302
    body = http.get("/portal/settings/?saved=1").content.decode()
    assert '<html lang="es">' in body
    assert "Su configuración se guardó." in body
    assert "Obtener ayuda ahora" in body
    # Staff pages stay in English whatever the browser asks for.
    staff = alpha.http(alpha.clinician).get("/clinic/clients/", HTTP_ACCEPT_LANGUAGE="es")
    assert '<html lang="en">' in staff.content.decode()


def test_date_formats_are_translated_too() -> None:
    """The wording's date formats go through the catalogue, Spanish style."""
    from django.utils import translation

    from portal.views.wording import due_on_text

    with translation.override("es"):
        assert due_on_text(date(2026, 3, 2), date(2026, 3, 1)) == ("Para mañana", False)
        assert due_on_text(date(2026, 3, 5), date(2026, 3, 1)) == (
            "Para el jueves 5 de marzo", False)
        assert due_on_text(date(2026, 2, 27), date(2026, 3, 1)) == (
            "Atrasado: debía completarse el 27 de febrero", True)
