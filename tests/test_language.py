"""English as a chosen language: the language cookie switches the pages to English, the
browser's Accept-Language does not, service messages are translated, and the English
catalogue is complete.

The compiled catalogue (*.mo) is git-ignored and normally built by `make translations`; this
module builds it itself when it is missing or older than the .po, so the tests also run on a
fresh checkout.
"""

from __future__ import annotations

import gettext as gettext_module
import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from households import idnumbers, qualification

PO_PATH = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
# Chinese characters and CJK/full-width punctuation.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _read_catalogue():
    with PO_PATH.open("rb") as po_file:
        return read_po(po_file, locale="en")


def _reset_translation_caches() -> None:
    """Make Django (and the gettext module underneath) load the catalogue afresh."""
    trans_real._translations.clear()
    trans_real._default = None
    gettext_module._translations.clear()
    translation.deactivate()


@pytest.fixture(scope="module", autouse=True)
def english_catalogue():
    """Compile locale/en/LC_MESSAGES/django.mo with Babel unless it is already up to date."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        catalogue = _read_catalogue()
        # Written next to the target and renamed, so a parallel reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=MO_PATH.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(handle, "wb") as mo_file:
                write_mo(mo_file, catalogue, use_fuzzy=True)
            os.chmod(temporary, 0o644)  # mkstemp makes it private; pybabel's file is not
            os.replace(temporary, MO_PATH)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    _reset_translation_caches()
    yield
    _reset_translation_caches()


def _english(client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _main(response) -> str:
    """The page's <main> element: our templates' content, without the header."""
    html = response.content.decode()
    start, end = html.index("<main>"), html.index("</main>")
    return html[start:end]


def _without(text: str, *data: str) -> str:
    """Remove data values (names people typed in, which stay as typed) from a page."""
    for value in data:
        text = text.replace(value, "")
    return text


def _assert_no_chinese(text: str) -> None:
    found = sorted(set(CJK.findall(text)))
    assert not found, f"Chinese text left on an English page: {''.join(found)}"


# --- The language cookie chooses English -------------------------------------------------


def test_staff_home_page_in_english(client, clerk, group):
    _english(client)
    client.force_login(clerk)
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en">' in html
    for label in (
        "Dashboard",
        "Register a new resettled household",
        "Find resettled households",
        "API documentation",
        "Households",  # the menu
        "Register",
        "Log out",
    ):
        assert label in html, label
    main = _main(response)
    _assert_no_chinese(_without(main, group.project.name, group.project.code))


def test_home_page_without_projects_explains_in_english(client, clerk):
    _english(client)
    client.force_login(clerk)
    main = _main(client.get(reverse("staff:home")))
    assert "There are no projects yet." in main
    _assert_no_chinese(main)


def test_registration_page_in_english(client, clerk, group):
    _english(client)
    client.force_login(clerk)
    response = client.get(reverse("staff:household-register"))
    assert response.status_code == 200
    main = _main(response)
    for label in (
        "Register a resettled household",
        "Household details",
        "Household members",
        "Village/community",
        "Villager group",
        "Household code",
        "Head of household",  # a relation choice
        "Relationship to head of household",
        "Hukou type",
        "Agricultural",
        "Non-agricultural",
        "Hukou move-in date",
        "One-child certificate",
        "Add member",
        "Save registration",
    ):
        assert label in main, label
    data = (group.project.name, group.community.name, group.name)
    _assert_no_chinese(_without(main, *data))


def _wrong_check_character(first17: str) -> str:
    right = idnumbers.check_character(first17)
    return first17 + ("0" if right != "0" else "1")


def test_registration_errors_come_back_in_english(client, clerk, group):
    _english(client)
    client.force_login(clerk)
    response = client.post(
        reverse("staff:household-register"),
        {
            "project": group.project_id,
            "community": group.community_id,
            "group": group.pk,
            "code": "EN-0001",
            "m-TOTAL_FORMS": "1",
            "m-INITIAL_FORMS": "0",
            "m-MIN_NUM_FORMS": "0",
            "m-MAX_NUM_FORMS": "15",
            "m-0-name": "Wang",
            "m-0-id_number": _wrong_check_character("33011019680504001"),
            "m-0-relation": "head",
            "m-0-hukou_nature": "agricultural",
            "m-0-marital_status": "married",
            "m-0-special_status": "none",
            "m-0-housing_welfare": "none",
        },
    )
    assert response.status_code == 200
    main = _main(response)
    assert "check character" in main
    data = (group.project.name, group.community.name, group.name)
    _assert_no_chinese(_without(main, *data))


def test_login_page_in_english(client, db):
    _english(client)
    response = client.get(reverse("login"))
    assert response.status_code == 200
    main = _main(response)
    for label in ("Staff login", "Username", "Password", "Log in"):
        assert label in main, label
    _assert_no_chinese(main)
    assert "<title>Log in</title>" in response.content.decode()


def test_failed_login_message_in_english(client, clerk):
    _english(client)
    response = client.post(reverse("login"), {"username": clerk.username, "password": "wrong"})
    main = _main(response)
    assert "Incorrect username or password." in main
    _assert_no_chinese(main)


def test_household_page_in_english(client, clerk, register):
    household = register()
    _english(client)
    client.force_login(clerk)
    main = _main(client.get(reverse("staff:household-detail", args=[household.pk])))
    for label in ("Registered", "Household members", "Supporting documents", "Hukou book"):
        assert label in main, label


# --- Without the cookie, Chinese, whatever the browser asks for ----------------------------


@pytest.mark.parametrize("name", ["staff:home", "staff:household-register"])
def test_staff_pages_stay_chinese_for_an_english_browser(client, clerk, name):
    client.force_login(clerk)
    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert "登记" in html
    assert "Register" not in html
    if name == "staff:home":
        assert "登记新安置户" in html
    else:
        assert "登记安置户" in html


def test_login_page_stays_chinese_for_an_english_browser(client, db):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "zh-hans"
    html = response.content.decode()
    assert "工作人员登录" in html
    assert "Staff login" not in html


def test_an_unknown_cookie_value_falls_back_to_chinese(client, db):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.get(reverse("login"))
    assert response["Content-Language"] == "zh-hans"
    assert "工作人员登录" in response.content.decode()


# --- Service messages ---------------------------------------------------------------------


def test_id_number_error_in_english():
    with translation.override("en"), pytest.raises(idnumbers.InvalidIDNumber) as error:
        idnumbers.parse("12345")
    message = str(error.value)
    assert message == (
        "An ID number has 18 characters: 17 digits followed by a check character (a digit or X)."
    )


def test_id_number_error_in_chinese_by_default():
    with translation.override("zh-hans"), pytest.raises(idnumbers.InvalidIDNumber) as error:
        idnumbers.parse("12345")
    assert "身份证号应为18位" in str(error.value)


def test_failed_rule_labels_are_translated():
    with translation.override("en"):
        labels = {
            code: translation.gettext(label) for code, label in qualification.REASON_LABELS.items()
        }
    assert labels[qualification.HUKOU_AFTER_CUTOFF] == "Hukou moved in after the cut-off date"
    for code, label in labels.items():
        assert not CJK.search(label), code


def test_plural_messages_follow_english_plural_rules():
    with translation.override("en"):
        one = translation.ngettext(
            "第 %(n)s / %(total)s 页,共 %(counter)s 户",
            "第 %(n)s / %(total)s 页,共 %(counter)s 户",
            1,
        )
        many = translation.ngettext(
            "第 %(n)s / %(total)s 页,共 %(counter)s 户",
            "第 %(n)s / %(total)s 页,共 %(counter)s 户",
            2,
        )
    assert one.endswith("%(counter)s household")
    assert many.endswith("%(counter)s households")


# --- The catalogue itself -----------------------------------------------------------------


def test_every_entry_is_translated():
    catalogue = _read_catalogue()
    messages = [message for message in catalogue if message.id]
    assert messages
    untranslated = []
    for message in messages:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            untranslated.append(message.id)
    assert untranslated == []


def test_catalogue_header_and_placeholders():
    catalogue = _read_catalogue()
    header = PO_PATH.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert '"Language: en\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert not catalogue.fuzzy
    # Babel's checkers: python-format placeholders and plural forms agree with the source.
    problems = [(message.id, [str(e) for e in errors]) for message, errors in catalogue.check()]
    assert problems == []
