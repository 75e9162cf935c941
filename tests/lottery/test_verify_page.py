"""The phone verify page on the server side (docs/lottery.md §16): every signed session's
public page links to it; it carries what the browser needs (the bundle's address and
published hash, the scripts, the words) and computes nothing itself; before signing it
offers only a file; rehearsals stay unpublished. Every key the scripts can report has its
sentence. (The page at work, in Chromium: tests/browser/test_verify_page.py.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.urls import reverse

from lottery.verify_text import verify_page_text
from tests.lottery.factories import create_session

pytestmark = pytest.mark.django_db

STATIC = Path(__file__).resolve().parents[2] / "static" / "lottery" / "verify"


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def verifier_element(html: str) -> str:
    found = re.search(r'<div id="verifier"(.*?)>', html, re.S)
    assert found, "the page has no #verifier element"
    return found.group(1)


def test_a_signed_sessions_public_page_links_to_the_verify_page(client, signed_session):
    html = client.get(reverse("lottery-public:detail", args=[signed_session.code])).content
    url = reverse("lottery-public:verify", args=[signed_session.code])
    assert url == f"/public/lottery/{signed_session.code}/verify/"
    assert f'id="verify-page-link" href="{url}"' in html.decode()


def test_the_verify_page_carries_the_bundle_its_hash_the_scripts_and_the_words(
    client, signed_session
):
    response = client.get(reverse("lottery-public:verify", args=[signed_session.code]))
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    element = verifier_element(html)
    bundle_url = reverse("lottery-public:bundle", args=[signed_session.code])
    assert f'data-bundle-url="{bundle_url}"' in element
    assert f'data-bundle-sha256="{signed_session.bundle_sha256}"' in element
    assert 'data-module="/static/lottery/verify/rs_lottery_v1.js"' in element
    assert '<script type="module" src="/static/lottery/verify/page.js"></script>' in html
    # The only other script is the words, as data (json_script), never run.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == [
        '<script id="verify-text" type="application/json">',
        '<script type="module" src="/static/lottery/verify/page.js">',
    ]
    words = json.loads(re.search(r'id="verify-text"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert words["verified"] == "验证通过:全部结果与重新计算一致"
    # Nothing computed on the server: no seed, order or allocation is on the page.
    assert signed_session.seed not in html
    assert "验证本场次公布的数据包" in html


def test_before_signing_the_page_offers_only_a_file(client, open_session):
    html = client.get(reverse("lottery-public:verify", args=[open_session.code])).content
    html = html.decode()
    assert "data-bundle-url" not in verifier_element(html)
    assert 'id="not-signed"' in html and 'id="bundle-file"' in html
    assert client.get(reverse("lottery-public:bundle", args=[open_session.code])).status_code == 404


def test_rehearsals_and_unknown_sessions_have_no_verify_page(client, lottery_project, leader):
    rehearsal = create_session(lottery_project, leader, code="R1", rehearsal=True)
    for code in (rehearsal.code, "NO-SUCH"):
        assert client.get(reverse("lottery-public:verify", args=[code])).status_code == 404


def keys_in(pattern: str, *files: str) -> set[str]:
    found = set()
    for name in files:
        found |= set(re.findall(pattern, (STATIC / name).read_text(encoding="utf-8")))
    return found


def test_every_key_the_scripts_report_has_its_sentence():
    words = verify_page_text()
    checks = keys_in(r'report\.(?:check|skip|fail)\("(\w+)"', "rs_lottery_v1.js") | keys_in(
        r'\{ key: "(\w+)", status:', "page.js"
    )
    problems = (
        keys_in(r'new Problem\("(\w+)"', "rs_lottery_v1.js")
        | keys_in(r'expect\([^;]*?, "(\w+)"', "rs_lottery_v1.js")
        | keys_in(r'\{ key: "(\w+)", params', "rs_lottery_v1.js", "page.js")
    )
    chosen = r'(?:new Problem\(|const key = )[^;]*?\? "(\w+)" : "(\w+)"'  # by a condition
    for name in ("rs_lottery_v1.js", "page.js"):
        for pair in re.findall(chosen, (STATIC / name).read_text()):
            problems |= set(pair)
    shown = keys_in(r"T\.(\w+)", "page.js")
    assert {"commitment", "seed", "steps_identical", "allocation_identical", "load"} <= checks
    assert {"seed", "step_order", "allocation_differs", "not_json", "bundle_hash"} <= problems
    missing = (
        {f"check_{key}" for key in checks}
        | {f"problem_{key}" for key in problems}
        | shown
        | {"source_recomputed", "source_picks", "ok", "fail", "skip"}
    ) - set(words)
    assert missing == set()
    # Every placeholder a sentence uses is one the scripts fill in.
    for key, sentence in words.items():
        for name in re.findall(r"%\((\w+)\)s", sentence):
            assert re.fullmatch(r"\w+", name), (key, name)
