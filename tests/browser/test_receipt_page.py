"""A household checks its lottery receipt on a phone (docs/lottery.md §17): the link on its
own page opens the receipt page, which checks the receipt in Chromium against the session's
published Merkle root and says "verified"; a changed row and another household's receipt
are refused, each with its own message; the JavaScript gives the document's vector; and the
verify page refuses a bundle whose Merkle root does not match its rows."""

from __future__ import annotations

import copy
import json
from urllib.parse import urlencode

import pytest
from django.core.cache import cache

from lottery import merkle
from lottery.selectors.receipts import household_receipt
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from tests.browser.test_verify_page import assert_fits_the_screen, choose_file, verdict
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
    start_drawing,
)
from tests.lottery.test_receipts import V17_H03, V17_H05, V17_ROOT, V17_ROWS
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODULE = "/static/lottery/verify/merkle.js"


@pytest.fixture(autouse=True)
def fresh_limits_and_a_flushable_database():
    cache.clear()
    yield
    cache.clear()
    clear_lottery_before_flush()


@pytest.fixture
def signed(clerk, leader, notary, roles):
    operator = make_user("operator_zhou", "operator")
    project = build_lottery_project(clerk)
    session = start_drawing(create_session(project, leader), notary)
    lottery_draw_remaining(actor=operator, session=session)
    return lottery_session_sign_off(actor=notary, session=session, witnesses="王某")


def receipt_page(live_server, session, household: str, receipt: str) -> str:
    fragment = urlencode({"h": household, "r": receipt})
    return f"{live_server.url}/public/lottery/{session.code}/receipt/#{fragment}"


def test_a_household_checks_its_receipt_from_its_own_page_on_a_phone(
    phone_page, live_server, signed
):
    page = phone_page
    row = signed.bundle["allocation"][3]
    household = signed.project.households.get(code=row["household"])
    page.goto(f"{live_server.url}/public/my/{household.lookup_code}/")
    assert page.locator("#journey-lottery figure.journey-qr img").is_visible()
    page.click("#journey-lottery a")
    assert verdict(page, "verified") == "回执核验通过"
    detail = page.inner_text("#verdict-detail")
    assert row["household"] in detail and "、".join(row["apartments"]) in detail
    assert "第 4 行(共 12 行)" in detail
    assert page.inner_text("#computed-root") == signed.bundle["merkle_root"]
    assert page.input_value("#receipt-household") == row["household"]
    assert_fits_the_screen(page)


def test_a_changed_row_and_another_households_receipt_fail_with_their_own_messages(
    phone_page, live_server, signed
):
    page = phone_page
    rows = signed.bundle["allocation"]
    mine, theirs = rows[0]["household"], rows[1]["household"]
    genuine = merkle.receipt_parse(household_receipt(signed, mine).compact)
    spare = rows[1]["apartments"][0]
    changed = merkle.Receipt(
        row={"household": mine, "apartments": sorted([spare, *genuine.apartments[1:]])},
        index=genuine.index,
        count=genuine.count,
        proof=genuine.proof,
    ).compact()
    page.goto(receipt_page(live_server, signed, mine, changed))
    changed_text = verdict(page, "failed")
    assert changed_text.startswith("回执核验失败:回执与本场次公布的默克尔根不符")
    assert page.get_attribute("#verdict", "data-problem") == "root_mismatch"
    assert_fits_the_screen(page)

    other = household_receipt(signed, theirs).compact
    page.goto(receipt_page(live_server, signed, mine, other))
    page.reload()  # a new fragment alone does not load the page again
    other_text = verdict(page, "failed")
    assert other_text == f"回执核验失败:这张回执属于安置户 {theirs},不是您的户 {mine}。"
    assert changed_text != other_text

    # The same receipt, for the household it belongs to, verifies.
    page.fill("#receipt-household", theirs)
    page.click("#receipt-form button")
    assert verdict(page, "verified") == "回执核验通过"


def test_the_javascript_gives_the_documents_vector(page, live_server, signed):
    page.goto(f"{live_server.url}/public/lottery/{signed.code}/receipt/")
    result = page.evaluate(
        """async ([module, rows, h03, h05, root]) => {
            const m = await import(module);
            const out = {root: await m.merkleRoot(rows), empty: await m.merkleRoot([])};
            out.h03 = await m.checkReceipt(m.parseReceipt(h03), root, "H03", 5);
            out.h05 = await m.rootFromProof(m.parseReceipt(h05));
            try { await m.checkReceipt(m.parseReceipt(h05), root, "H03", 5); }
            catch (e) { out.other = e.key; }
            const six = m.parseReceipt(h03.replace("1.2.5.", "1.2.6."));
            try { await m.checkReceipt(six, root, "", 5); } catch (e) { out.count = e.key; }
            return out;
        }""",
        [MODULE, V17_ROWS, V17_H03, V17_H05, V17_ROOT],
    )
    assert result == {
        "root": V17_ROOT,
        "empty": merkle.merkle_root([]),
        "h03": V17_ROOT,
        "h05": V17_ROOT,
        "other": "other_household",
        "count": "root_mismatch",
    }
    # And agrees with Python on the signed session's rows.
    rows = json.dumps(signed.bundle["allocation"], ensure_ascii=False)
    got = page.evaluate(
        "async ([module, rows]) => (await import(module)).merkleRoot(JSON.parse(rows))",
        [MODULE, rows],
    )
    assert got == signed.bundle["merkle_root"]


def test_the_verify_page_refuses_a_bundle_whose_root_does_not_match_its_rows(
    page, live_server, signed
):
    page.goto(f"{live_server.url}/public/lottery/{signed.code}/verify/")
    verdict(page, "verified")
    assert signed.bundle["merkle_root"] in page.inner_text("#checks li[data-check=merkle_root]")
    bundle = copy.deepcopy(signed.bundle)
    bundle["merkle_root"] = merkle.merkle_root(bundle["allocation"][1:])
    choose_file(page, bundle, "root.json")
    text = verdict(page, "failed")
    assert text.startswith("验证失败:由分房结果重新计算的默克尔根为")
    assert "分房结果或默克尔根被改动过" in text
    # A bundle from before receipts (no root) still verifies, bar the published hash.
    del bundle["merkle_root"]
    choose_file(page, bundle, "old.json")
    verdict(page, "failed")
    assert page.locator("#checks li.fail").count() == 1
    assert page.locator("#checks li.fail[data-check=bundle_hash]").count() == 1
