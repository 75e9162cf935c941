"""The phone verify page and rs-lottery-v2 (docs/lottery.md §13a): a resident's phone
recomputes a v2 session's bundle — the commitment record, the public value named in advance,
the seed that takes it — and says "verified"; a bundle whose public value was changed is
refused with its own message, as is one whose step prefix is not the committed one; a v1
bundle still verifies on the same page."""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from lottery.services.draws import lottery_draw_remaining
from lottery.services.sessions import (
    lottery_session_confirm,
    lottery_session_enter_entropy,
    lottery_session_enter_public_value,
)
from lottery.services.sign_off import lottery_session_sign_off
from tests.browser.test_verify_page import (
    assert_fits_the_screen,
    choose_file,
    fresh_limits_and_a_flushable_database,  # noqa: F401 (an autouse fixture)
    load_checker,
    verdict,
)
from tests.lottery.factories import build_lottery_project, create_session
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DRAW_DAY = (dt.date.today() + dt.timedelta(days=1)).isoformat()
SOURCE = {"kind": "welfare_lottery", "game": "福彩3D", "draw": "2026331", "date": DRAW_DAY}


@pytest.fixture
def v2_signed(clerk, leader, notary, roles):
    """A v2 session made, drawn and signed through the services, as the demo's YH2013-01B
    is: the 福彩3D draw named at creation, the hall's dice, then the draw's numbers."""
    operator = make_user("operator_zhou", "operator")
    session = create_session(build_lottery_project(clerk), leader, public_source=SOURCE)
    lottery_session_confirm(
        actor=notary,
        session=session,
        participants_sha256=session.participants_sha256,
        inventory_sha256=session.inventory_sha256,
    )
    lottery_session_enter_entropy(actor=notary, session=session, witness_entropy="5 1 6 6 2")
    session = lottery_session_enter_public_value(actor=notary, session=session, value="9 2 0")
    lottery_draw_remaining(actor=operator, session=session)
    return lottery_session_sign_off(actor=notary, session=session, witnesses="王某")


def test_a_phone_verifies_a_v2_bundle_and_its_public_value(phone_page, live_server, v2_signed):
    page = phone_page
    page.goto(f"{live_server.url}/public/lottery/{v2_signed.code}/verify/")
    assert verdict(page, "verified") == "验证通过:全部结果与重新计算一致"
    assert page.locator("#checks li.fail").count() == 0
    record = page.inner_text("#checks li[data-check=record]")
    assert v2_signed.commitment in record
    public = page.inner_text("#checks li[data-check=public_value]")
    assert "福彩3D 2026331" in public and "9 2 0" in public
    assert v2_signed.seed in page.inner_text("#checks li[data-check=seed_v2]")
    assert_fits_the_screen(page)


def test_a_changed_public_value_or_step_prefix_is_refused_each_with_its_own_message(
    page, live_server, v2_signed
):
    page.goto(f"{live_server.url}/public/lottery/{v2_signed.code}/verify/")
    verdict(page, "verified")

    other_value = copy.deepcopy(v2_signed.bundle)
    other_value["public_value"] = "9 2 1"
    choose_file(page, other_value, "public-value.json")
    text = verdict(page, "failed")
    assert "公开随机数、见证随机数或种子被改动过" in text, text
    assert "承诺记录" not in text

    other_prefix = copy.deepcopy(v2_signed.bundle)
    other_prefix["step_prefix"] = "E1/"
    for step in other_prefix["steps"]:
        step["label"] = "E1/" + step["label"]
    choose_file(page, other_prefix, "prefix.json")
    prefix_text = verdict(page, "failed")
    assert "步骤前缀" in prefix_text and "承诺记录中事先确定" in prefix_text, prefix_text

    page.click("#verify-published")
    verdict(page, "verified")


def test_a_v1_and_the_documented_v2_example_still_verify_on_the_page(page, live_server, v2_signed):
    page.goto(f"{live_server.url}/public/lottery/{v2_signed.code}/verify/")
    verdict(page, "verified")
    checker = load_checker()
    for bundle in (checker.example_bundle(), checker.example_bundle_v2()):
        choose_file(page, bundle, f"{bundle['session']['code']}.json")
        assert verdict(page, "verified").startswith("验证通过"), bundle["algorithm"]


def test_the_demo_s_v2_session_verifies_on_a_phone_and_a_changed_public_value_fails(
    phone_page, live_server, tmp_path
):
    """The demo (seed_demo) signs YH2013-01B under rs-lottery-v2 through the real services;
    its published bundle verifies on the phone page, and the same bundle with another public
    value is refused with the public value's own message."""
    from django.test import override_settings

    from lottery.models import LotterySession
    from tests.demo.seeding import demo_settings, seed

    with override_settings(**demo_settings(tmp_path)):
        seed()
    demo = LotterySession.objects.get(code="YH2013-01B")
    assert demo.algorithm == "rs-lottery-v2"
    page = phone_page
    page.goto(f"{live_server.url}/public/lottery/{demo.code}/")
    assert "福彩3D" in page.inner_text("#commitment-record")
    page.goto(f"{live_server.url}/public/lottery/{demo.code}/verify/")
    assert verdict(page, "verified") == "验证通过:全部结果与重新计算一致"
    assert demo.public_value in page.inner_text("#checks li[data-check=public_value]")
    changed = copy.deepcopy(demo.bundle)
    changed["public_value"] = "0 0 0" if demo.public_value != "0 0 0" else "1 1 1"
    choose_file(page, changed, "changed-public-value.json")
    assert "公开随机数、见证随机数或种子被改动过" in verdict(page, "failed")
