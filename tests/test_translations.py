"""The Russian catalogue: complete, compiled, and used where people read it."""

from __future__ import annotations

import re
from collections import Counter
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import trans_real

from accounts.models import Role, User
from channels_inbound import webform
from channels_inbound.customer_output import STATUS_WORDS
from helpdesk.errors import ApplicationError, Forbidden
from tickets import permissions
from tickets.models import Priority, Status, Ticket
from tickets.permissions import Action

RU_PO = Path(settings.LOCALE_PATHS[0]) / "ru" / "LC_MESSAGES" / "django.po"
RU_PLURAL_FORMS = (
    "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);"
)
# `%(name)s`, `%s`, `%d`, a literal `%%` (templates double every percent sign), `{name}`.
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]+\))?[sdif]|\{\w*\}")


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(RU_PO))


@pytest.fixture(scope="module", autouse=True)
def compiled() -> None:
    """`make test` compiles first; a bare `pytest` run compiles here, so the check below
    reads what the app reads."""
    out = StringIO()
    call_command("compile_translations", stdout=out)
    if " 0 compiled" not in out.getvalue():
        # A catalogue was (re)written after Django loaded the old one: forget it.
        trans_real._translations = {}
        trans_real._default = None
        trans_real._active = trans_real.Local()


def untranslated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        forms = [entry.msgstr_plural.get(i, "") for i in range(3)]
        return not all(form.strip() for form in forms)
    return not entry.msgstr.strip()


def test_the_russian_catalogue_is_complete(catalogue):
    live = [e for e in catalogue if not e.obsolete]
    assert len(live) > 100
    assert catalogue.metadata["Plural-Forms"] == RU_PLURAL_FORMS
    assert not catalogue.metadata_is_fuzzy
    assert [e.msgid for e in live if "fuzzy" in e.flags] == []
    assert [e.msgid for e in live if untranslated(e)] == []


def test_the_compiled_catalogue_is_up_to_date():
    mo = RU_PO.with_suffix(".mo")
    assert mo.exists()
    assert mo.stat().st_mtime >= RU_PO.stat().st_mtime
    assert len(polib.mofile(str(mo))) == len(
        [e for e in polib.pofile(str(RU_PO)) if e.translated()]
    )


def test_every_translation_keeps_the_placeholders_of_its_msgid(catalogue):
    wrong = []
    for entry in catalogue:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # The singular form in Russian also covers 21, 31...: it must name the number.
            expected = Counter(PLACEHOLDER.findall(entry.msgid_plural))
            translations = list(entry.msgstr_plural.values())
        else:
            expected = Counter(PLACEHOLDER.findall(entry.msgid))
            translations = [entry.msgstr]
        wrong += [
            (entry.msgid, text)
            for text in translations
            if Counter(PLACEHOLDER.findall(text)) != expected
        ]
    assert wrong == []


def test_labels_and_messages_come_out_in_russian():
    with translation.override("ru"):
        assert str(Status.PENDING.label) == "Ожидает ответа клиента"
        assert str(Status.SOLVED.label) == "Решено"
        assert str(Priority.URGENT.label) == "Срочный"
        assert str(STATUS_WORDS["pending"]) == "Ждём вашего ответа"
        with pytest.raises(Forbidden) as denied:
            permissions.require(AnonymousUser(), Action.REPLY, Ticket())
        assert denied.value.message == (
            "Отвечать клиенту могут только агенты группы обращения или его ответственный."
        )
        with pytest.raises(ApplicationError) as refused:
            webform.check_honeypot("http://spam.example")
        assert refused.value.message.startswith("Похоже, форму заполнила программа")
    # And the same code speaks English outside the override.
    with translation.override("en"), pytest.raises(Forbidden) as denied:
        permissions.require(AnonymousUser(), Action.REPLY, Ticket())
    assert denied.value.message == (
        "Only agents of the ticket's group or its owner can reply to the customer."
    )


def test_the_internal_staff_hint_is_translated_too():
    internal = User(role=Role.INTERNAL, is_active=True)
    with translation.override("ru"), pytest.raises(Forbidden) as denied:
        permissions.require(internal, Action.STATUS, Ticket())
    assert denied.value.message == (
        "Менять статус обращения могут только агенты его группы или ответственный. "
        "Внутренние сотрудники могут читать обращения, в которых участвуют, оставлять "
        "внутренние комментарии и возвращать обращение."
    )


def test_russian_plural_forms():
    with translation.override("ru"):
        words = [
            translation.ngettext("%(n)s ticket", "%(n)s tickets", n) % {"n": n}
            for n in (1, 3, 5, 11, 21, 104)
        ]
    assert words == [
        "1 обращение",
        "3 обращения",
        "5 обращений",
        "11 обращений",
        "21 обращение",
        "104 обращения",
    ]


def test_the_web_form_refuses_a_russian_browser_in_russian(client, db):
    cache.clear()
    response = client.post(
        "/api/v1/public/tickets/",
        {"email": "ivan@mail.example", "text": "Где посылка?", "website": "http://spam"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Похоже, форму заполнила программа")

    page = client.get("/support/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    assert "Чем мы можем помочь?" in page.content.decode()
