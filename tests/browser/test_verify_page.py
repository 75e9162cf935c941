"""A resident verifies the lottery on a phone, with nothing installed: the public verify page
recomputes a real signed session's bundle in Chromium and says "verified"; a swapped draw
order, a changed apartment and a changed witness entropy are each refused with their own
message; and the page's JavaScript implementation agrees with docs/verify_lottery.py on every
test vector of docs/lottery.md §14, on canonical JSON and on random bundles."""

from __future__ import annotations

import copy
import importlib.util
import json
import random
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from lottery import algorithm
from lottery.services.draws import lottery_draw_remaining
from lottery.services.sign_off import lottery_session_sign_off
from tests.lottery.factories import (
    build_lottery_project,
    clear_lottery_before_flush,
    create_session,
    start_drawing,
)
from tests.lottery.test_verify_script import make_bundle
from tests.people import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
MODULE = "/static/lottery/verify/rs_lottery_v1.js"
VECTORS = "/static/lottery/verify/vectors.js"


def load_checker():
    spec = importlib.util.spec_from_file_location("verify_lottery", DOCS / "verify_lottery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def fresh_limits_and_a_flushable_database():
    cache.clear()
    yield
    cache.clear()
    clear_lottery_before_flush()


@pytest.fixture
def signed(clerk, leader, notary, roles):
    """A direct-mode rs-lottery-v1 session (as made before v2, through the service's
    `legacy_v1` route) made, drawn and signed through the services: v1 bundles must keep
    verifying on the phone; the v2 page is tested in test_verify_page_v2.py."""
    operator = make_user("operator_zhou", "operator")
    project = build_lottery_project(clerk)
    session = start_drawing(create_session(project, leader, legacy_v1=True), notary)
    lottery_draw_remaining(actor=operator, session=session)
    return lottery_session_sign_off(actor=notary, session=session, witnesses="王某")


def assert_fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} scrolls sideways: {width}px on a {viewport}px screen"


def verdict(page, state: str) -> str:
    expect(page.locator("#verdict")).to_have_attribute("data-state", state, timeout=30_000)
    return page.inner_text("#verdict-text")


def choose_file(page, bundle: dict, name: str = "bundle.json") -> None:
    page.set_input_files(
        "#bundle-file",
        files=[
            {
                "name": name,
                "mimeType": "application/json",
                "buffer": json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8"),
            }
        ],
    )


def test_a_resident_verifies_the_signed_bundle_on_a_phone(phone_page, live_server, signed):
    page = phone_page
    page.goto(f"{live_server.url}/public/lottery/{signed.code}/")
    page.click("#verify-page-link")
    page.wait_for_url(f"{live_server.url}/public/lottery/{signed.code}/verify/")
    assert verdict(page, "verified") == "验证通过:全部结果与重新计算一致"
    assert "本场次公布的数据包" in page.inner_text("#verdict-source")

    checks = page.locator("#checks li")
    assert checks.count() == 17  # reading the file, the 14 checks of §13, the Merkle root
    # (docs/lottery.md §17), the bundle hash
    assert page.locator("#checks li.fail").count() == 0
    assert signed.bundle_sha256 in page.inner_text("#checks li[data-check=bundle_hash]")
    assert signed.seed in page.inner_text("#checks li[data-check=seed]")

    steps = page.locator("#steps li")
    assert steps.count() == len(signed.steps)
    assert page.locator("#steps li.fail").count() == 0
    last = signed.steps[-1]
    assert " ".join(last["order"]) in page.inner_text(f"#steps li[data-label='{last['label']}']")
    assert "12 户" in page.inner_text("#allocation-count")

    row = signed.bundle["allocation"][0]
    page.fill("#household-code", row["household"])
    page.click("#household-search button")
    found = page.inner_text("#household-result")
    assert "、".join(row["apartments"]) in found and "第" in found
    assert_fits_the_screen(page)


def tampered_bundles(bundle: dict) -> dict:
    """The three tamperings a verifier must tell apart, each with what its message names."""
    swapped = copy.deepcopy(bundle)
    step = next(s for s in swapped["steps"] if "household/" in s["label"] and len(s["order"]) > 1)
    step["order"][0], step["order"][1] = step["order"][1], step["order"][0]
    changed = copy.deepcopy(bundle)
    taken = {code for row in changed["allocation"] for code in row["apartments"]}
    row = changed["allocation"][0]
    spare = next(
        a["code"]
        for a in changed["inventory"]
        if a["code"] not in taken
        and a["type"]
        == next(b["type"] for b in changed["inventory"] if b["code"] == row["apartments"][0])
    )
    before = row["apartments"][0]
    row["apartments"] = sorted([spare, *row["apartments"][1:]])
    entropy = copy.deepcopy(bundle)
    entropy["witness_entropy"] = entropy["witness_entropy"] + " 7"
    return {
        "order": (swapped, [f"({step['label']})的摇号顺序与重新计算的不符"]),
        "apartment": (changed, [f"安置户 {row['household']}", spare, before]),
        "entropy": (entropy, ["重新计算的种子", "见证随机数或种子被改动过"]),
    }


def test_three_tampered_bundles_are_refused_each_with_its_own_message(page, live_server, signed):
    page.goto(f"{live_server.url}/public/lottery/{signed.code}/verify/")
    verdict(page, "verified")
    messages = {}
    for name, (bundle, words) in tampered_bundles(signed.bundle).items():
        choose_file(page, bundle, f"{name}.json")
        text = verdict(page, "failed")
        assert text.startswith("验证失败:"), text
        for word in words:
            assert word in text, (name, text)
        assert "您选择的文件" in page.inner_text("#verdict-source")
        messages[name] = text
    assert len(set(messages.values())) == 3
    # The published bundle still verifies afterwards.
    page.click("#verify-published")
    verdict(page, "verified")


def test_the_page_works_for_a_session_not_yet_signed(page, live_server, clerk, leader, roles):
    session = create_session(build_lottery_project(clerk), leader)
    page.goto(f"{live_server.url}/public/lottery/{session.code}/verify/")
    expect(page.locator("#not-signed")).to_be_visible()
    choose_file(page, load_checker().example_bundle())
    assert verdict(page, "verified").startswith("验证通过")
    other = page.inner_text("#checks li[data-check=bundle_hash]")
    assert "EXAMPLE-1" in other and session.code in other


# -- the JavaScript agrees with docs/verify_lottery.py ------------------------------------


@pytest.fixture
def module_page(page, live_server, clerk, leader, roles):
    """A page of the site (its CSP applies) from which the modules are imported."""
    session = create_session(build_lottery_project(clerk), leader)
    page.goto(f"{live_server.url}/public/lottery/{session.code}/verify/")
    return page


def test_the_javascript_prints_the_same_test_vectors_as_verify_lottery_py(module_page):
    printed = module_page.evaluate("url => import(url).then(m => m.vectors())", VECTORS)
    assert printed == load_checker().vectors()


AWKWARD_JSON = [
    '{"b":1,"a":[1.0,-0,0.5,1e16,1e-5,123456789012345678901234567890,-2.5e-07]}',
    '{"\\u00e9":"e\\u0301","Z":"z","a":"\\u0000\\u001f\\b\\f\\n\\r\\t\\"\\\\/\\u007f\\u2028"}',
    '{"\\ud83d\\ude00":1,"\\uffff":2,"\\ue000":3,"a":{"z":[true,false,null]},"":"九二六"}',
    '[{"code":"H10"},{"code":"H9"},{"code":"h1"},{"code":"\\ud840\\udc00"},{"code":"\\uff21"}]',
    "[1e400, 0.1, 100.0, 1.5e300, 12345678901234567.0]",
]


def test_canonical_json_and_code_point_order_agree_with_python(module_page):
    script = """async ([url, texts]) => {
        const m = await import(url);
        const out = [];
        for (const text of texts) {
            const value = m.parseJson(text);
            out.push([m.canonicalJson(value), await m.snapshotHash(value)]);
        }
        const codes = ["G2", "G10", "Z", "a", "é", "一", "\\uff21", "\\ud840\\udc00", "\\ue000"];
        out.push(m.sortedCodes(codes).join(" "));
        return out;
    }"""
    got = module_page.evaluate(script, [MODULE, AWKWARD_JSON])
    for text, (canonical, digest) in zip(AWKWARD_JSON, got, strict=False):
        value = json.loads(text)
        assert canonical == algorithm.canonical_json(value).decode("utf-8"), text
        assert digest == algorithm.snapshot_hash(value), text
    codes = ["G2", "G10", "Z", "a", "é", "一", "\uff21", "\U00020000", "\ue000"]
    assert got[-1] == " ".join(sorted(codes))


def verify_in_page(page, bundle: dict) -> list:
    """rs_lottery_v1.verify on a bundle in Chromium: the keys of its problems."""
    script = """async ([url, text]) => {
        const m = await import(url);
        const report = await m.verify(m.parseJson(text));
        return report.problems.map(p => p.key);
    }"""
    return page.evaluate(script, [MODULE, json.dumps(bundle, ensure_ascii=False)])


def test_random_bundles_of_every_kind_verify_and_tampered_ones_do_not(module_page):
    checker = load_checker()
    kinds = [{}, {"prefix": "E1/"}, {"fixed": True}, {"mode": "choose"}, {"size": 30}]
    for number in range(10):
        options = kinds[number % len(kinds)]
        bundle = make_bundle(random.Random(f"page {number}"), **options)
        assert verify_in_page(module_page, bundle) == [], options
        # What the Python checker refuses, the page refuses too.
        broken = copy.deepcopy(bundle)
        step = max(broken["steps"], key=lambda s: len(s["order"]))
        step["order"] = list(reversed(step["order"]))
        python_refuses = bool(checker.verify(broken).problems)
        assert bool(verify_in_page(module_page, broken)) == python_refuses


def test_the_edge_example_verifies_and_apartments_in_orientation_order_are_refused(
    module_page,
):
    checker = load_checker()
    bundle = checker.edge_bundle()
    assert verify_in_page(module_page, bundle) == []
    row = next(r for r in bundle["allocation"] if r["household"] == "H1")
    assert row["apartments"] == ["1-1-1001", "1-1-901"]
    row["apartments"] = ["1-1-901", "1-1-1001"]  # orientation order
    assert verify_in_page(module_page, bundle) == ["apartments_unsorted"]
    assert "not listed in code-point order" in checker.verify(bundle).problems[0]
