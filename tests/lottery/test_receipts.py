"""Household receipts (docs/lottery.md §17): the Merkle tree of a signed session's allocation
rows, its root in the bundle, the notarial record, the audit trail and the hall's screen, and
each household's receipt on its notice and its own page, checked against the published root.
(The phone page at work, in Chromium: tests/browser/test_receipt_page.py.)"""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from lottery import merkle
from lottery.selectors.receipts import household_receipt, session_merkle_root
from lottery.verification import bundle_of, verify_bundle
from resettlement.models import AuditEntry
from tests.lottery.factories import create_session

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs"

# V17 of docs/lottery.md §17.5: the first five rows of the worked example.
V17_ROWS = [
    {"household": "H01", "apartments": ["1-1-102", "1-1-201"]},
    {"household": "H02", "apartments": ["1-1-301", "1-1-302"]},
    {"household": "H03", "apartments": ["1-1-101", "1-1-202"]},
    {"household": "H04", "apartments": ["2-1-102"]},
    {"household": "H05", "apartments": ["2-1-101"]},
]
V17_ROOT = "a736fa69b4045ea1e92a6cf8b43de531d5220b013510d6cdad22e31dc3073fdc"
V17_H03_PROOF = [
    "601ca3e3b70fcda5bc46374f2ec5097baec200936efa6c12ac9e6bcc263ecaf6",
    "b651b088e1f56a7dbdd17109733c5fd00d3a204e18f6c96b63d6d71757056914",
    "dee22927199f89db58d5b81e4e7df756b0b8c3e1cc0acbb0b9f801beeeeafd9e",
]
V17_H03 = (
    "1.2.5.eyJhcGFydG1lbnRzIjpbIjEtMS0xMDEiLCIxLTEtMjAyIl0sImhvdXNlaG9sZCI6IkgwMyJ9."
    "YByj47cPzaW8RjdPLsUJe67CAJNu-mwSrJ5rzCY-yva2UbCI4fVqfb3RcQlzPF_QDTogThj2yWtj1tcXVwVpFN7iKScZ"
    "n4nbWNW4Hk5991awuMPhzArLsLn4Ab7u6v2e"
)
V17_H05 = (
    "1.4.5.eyJhcGFydG1lbnRzIjpbIjItMS0xMDEiXSwiaG91c2Vob2xkIjoiSDA1In0."
    "YrG_-tAfQid4Yt3U_hk_Tma8tzft_wYLD3VtzSB2w3Q"
)
EXAMPLE_ROOT = "503d07d78558f01c6792c4159897a167c3b3a4e101bdfb93a13351f751da13de"


def load_checker():
    spec = importlib.util.spec_from_file_location("verify_lottery", DOCS / "verify_lottery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def run_checker(tmp_path, bundle: dict) -> subprocess.CompletedProcess:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return subprocess.run(  # noqa: S603
        [sys.executable, str(DOCS / "verify_lottery.py"), str(path)],
        capture_output=True,
        text=True,
    )


# --- the tree and the vector of the document ---------------------------------------------


def test_the_spec_vector_gives_its_root_and_proofs_with_both_python_implementations():
    doc = (DOCS / "lottery.md").read_text(encoding="utf-8")
    for value in (V17_ROOT, *V17_H03_PROOF, V17_H03, V17_H05, EXAMPLE_ROOT):
        assert value in doc
    tree = merkle.Tree(V17_ROWS)
    assert tree.root == merkle.merkle_root(V17_ROWS) == V17_ROOT
    assert load_checker().merkle_root(V17_ROWS) == V17_ROOT
    h03 = tree.receipt("H03")
    assert [h.hex() for h in h03.proof] == V17_H03_PROOF
    assert h03.compact() == V17_H03
    assert tree.receipt("H05").compact() == V17_H05  # the odd node: one hash
    example = load_checker().example_bundle()
    assert merkle.merkle_root(example["allocation"]) == EXAMPLE_ROOT
    # Leaves and nodes are told apart, no rows and one row have their documented roots.
    assert merkle.merkle_root([]) == load_checker().sha256_hex(b"")
    assert merkle.merkle_root(V17_ROWS[:1]) == merkle.leaf_hash(V17_ROWS[0]).hex()


@pytest.mark.parametrize("count", [1, 2, 3, 5, 7, 8, 9, 16, 17])
def test_every_receipt_of_a_tree_verifies_and_only_against_its_own_root(count):
    rows = [{"household": f"H{i:03d}", "apartments": [f"1-1-{i}01"]} for i in range(count)]
    tree = merkle.Tree(rows)
    for row in rows:
        receipt = merkle.receipt_parse(tree.receipt(row["household"]).compact())
        merkle.receipt_verify(receipt, root=tree.root, household=row["household"])
    other = merkle.Tree([*rows, {"household": "H999", "apartments": []}])
    with pytest.raises(merkle.ReceiptError) as error:
        merkle.receipt_verify(receipt, root=other.root)
    assert error.value.code == "root_mismatch"


def test_a_changed_row_fails_against_the_root():
    receipt = merkle.receipt_parse(V17_H03)
    changed = merkle.Receipt(
        row={"household": "H03", "apartments": ["1-1-101", "1-1-302"]},
        index=receipt.index,
        count=receipt.count,
        proof=receipt.proof,
    )
    with pytest.raises(merkle.ReceiptError) as error:
        merkle.receipt_verify(merkle.receipt_parse(changed.compact()), root=V17_ROOT)
    assert error.value.code == "root_mismatch"
    assert "被改动过" in str(error.value)


def test_another_households_receipt_fails_with_its_own_message():
    receipt = merkle.receipt_parse(V17_H05)
    merkle.receipt_verify(receipt, root=V17_ROOT)  # a genuine receipt, of H05
    with pytest.raises(merkle.ReceiptError) as error:
        merkle.receipt_verify(receipt, root=V17_ROOT, household="H03")
    assert error.value.code == "other_household"
    assert str(error.value) == "这张回执属于安置户 H05,不是您的户 H03。"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "malformed"),
        ("2" + V17_H03[1:], "malformed"),  # another format version
        (V17_H03.replace("1.2.5.", "1.5.5."), "malformed"),  # index beyond the rows
        (V17_H03[:-4], "malformed"),  # a proof cut short
        (V17_H03 + "AAAA", "malformed"),
        ("1.0.1.!!!.", "malformed"),
        # A row whose apartments are a string, not a list.
        ("1.0.1." + merkle._b64(b'{"apartments":"1-1-101","household":"H01"}') + ".", "malformed"),
        # The path of index 2 of 6 is that of 2 of 5: the published count tells them apart.
        (V17_H03.replace("1.2.5.", "1.2.6."), "root_mismatch"),
    ],
)
def test_a_damaged_receipt_is_refused(text, code):
    with pytest.raises(merkle.ReceiptError) as error:
        merkle.receipt_verify(merkle.receipt_parse(text), root=V17_ROOT, rows=5)
    assert error.value.code == code


# --- the root of a signed session -----------------------------------------------------------


def test_the_signed_bundle_carries_the_root_of_its_rows_covered_by_its_hash(signed_session):
    bundle = signed_session.bundle
    assert bundle["merkle_root"] == merkle.merkle_root(bundle["allocation"])
    # ... and that is the root the independent checker (docs/verify_lottery.py) computes, not
    # only the one lottery.merkle, which made it, computes again.
    assert bundle["merkle_root"] == load_checker().merkle_root(bundle["allocation"])
    assert bundle_of(signed_session) == bundle
    assert verify_bundle(bundle) == []
    changed = dict(bundle, merkle_root="0" * 64)
    from lottery import algorithm

    assert algorithm.snapshot_hash(changed) != signed_session.bundle_sha256


def test_the_sign_off_audit_entry_and_the_notarial_record_name_the_root(signed_session, client):
    root = signed_session.bundle["merkle_root"]
    entry = AuditEntry.objects.filter(action="lottery.sign_off").latest("pk")
    assert entry.payload["merkle_root"] == root
    from lottery.pdf.notarial_record import notarial_record_pdf
    from tests.pdf import pdf_pages, squeezed

    text = squeezed("".join(pdf_pages(notarial_record_pdf(signed_session))))
    assert "分房结果默克尔根" in text
    assert root in text


def test_a_wrong_root_in_the_bundle_fails_every_python_verifier(signed_session, tmp_path):
    bundle = copy.deepcopy(signed_session.bundle)
    bundle["merkle_root"] = merkle.merkle_root(bundle["allocation"][1:])
    problems = verify_bundle(bundle)
    assert len(problems) == 1 and problems[0].startswith("默克尔根与分房结果重新计算的不符")
    result = run_checker(tmp_path, bundle)
    assert result.returncode == 1
    assert "FAILED: merkle_root recomputed from the allocation rows" in result.stdout
    path = tmp_path / "bundle.json"
    stderr = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_lottery", str(path), stdout=io.StringIO(), stderr=stderr)
    assert "默克尔根与分房结果重新计算的不符" in stderr.getvalue()


def test_a_bundle_from_before_receipts_still_verifies_everywhere(signed_session, tmp_path):
    bundle = copy.deepcopy(signed_session.bundle)
    del bundle["merkle_root"]
    assert verify_bundle(bundle) == []
    result = run_checker(tmp_path, bundle)
    assert result.returncode == 0 and "VERIFIED" in result.stdout
    assert "merkle_root" not in result.stdout
    # Its receipts are checked against the root of its rows.
    signed_session.bundle = bundle
    assert session_merkle_root(signed_session) == merkle.merkle_root(bundle["allocation"])


def test_every_household_of_a_signed_session_has_a_receipt_that_verifies(signed_session):
    root = session_merkle_root(signed_session)
    rows = signed_session.bundle["allocation"]
    assert len(rows) == 12
    for row in rows:
        receipt = household_receipt(signed_session, row["household"])
        assert receipt.apartments == tuple(row["apartments"])
        parsed = merkle.receipt_parse(receipt.url)
        merkle.receipt_verify(parsed, root=root, rows=12, household=row["household"])
        fragment = parse_qs(urlsplit(receipt.url).fragment)
        assert fragment == {"h": [row["household"]], "r": [receipt.compact]}
        assert urlsplit(receipt.url).path == f"/public/lottery/{signed_session.code}/receipt/"


# --- the public pages ---------------------------------------------------------------------


def test_the_receipt_page_carries_the_published_root_and_no_bundle(client, signed_session):
    response = client.get(reverse("lottery-public:receipt", args=[signed_session.code]))
    assert response.status_code == 200
    html = response.content.decode()
    root = signed_session.bundle["merkle_root"]
    assert f'data-root="{root}"' in html and 'data-rows="12"' in html
    assert 'data-module="/static/lottery/verify/merkle.js"' in html
    assert '<script type="module" src="/static/lottery/verify/receipt.js"></script>' in html
    assert "bundle.json" not in html
    words = json.loads(re.search(r'id="receipt-words"[^>]*>(.*?)</script>', html, re.S).group(1))
    assert words["problem_other_household"] != words["problem_root_mismatch"]
    small = client.get(reverse("lottery-public:merkle", args=[signed_session.code])).json()
    assert small == {
        "session": signed_session.code,
        "merkle_root": root,
        "rows": 12,
        "in_bundle": True,
        "bundle_sha256": signed_session.bundle_sha256,
    }


def test_the_public_session_page_shows_the_root_and_leads_to_the_receipt_check(
    client, signed_session
):
    html = client.get(reverse("lottery-public:detail", args=[signed_session.code])).content
    html = html.decode()
    root = signed_session.bundle["merkle_root"]
    assert f'<code id="merkle-root">{root}</code>' in html
    receipt_page = reverse("lottery-public:receipt", args=[signed_session.code])
    assert f'id="receipt-page-link" href="{receipt_page}"' in html


def test_every_page_shows_the_one_root_of_a_session_signed_before_roots_were_published(
    client, drawing_session, operator, notary, monkeypatch
):
    """A bundle from before receipts carries no root: the screen, the public page, the live
    state and the receipt page all show the root of its rows, the one `session_state` gives
    (one owner of the root, not each page reading the bundle its own way)."""
    from lottery import verification
    from lottery.services.draws import lottery_draw_remaining
    from lottery.services.sign_off import lottery_session_sign_off

    bundle_of = verification.bundle_of

    def bundle_without_root(session):
        bundle = bundle_of(session)
        del bundle["merkle_root"]
        return bundle

    monkeypatch.setattr(verification, "bundle_of", bundle_without_root)
    lottery_draw_remaining(actor=operator, session=drawing_session)
    signed = lottery_session_sign_off(actor=notary, session=drawing_session, witnesses="王某")
    assert "merkle_root" not in signed.bundle
    root = merkle.merkle_root(signed.bundle["allocation"])
    code = signed.code
    detail = client.get(reverse("lottery-public:detail", args=[code])).content.decode()
    assert f'<code id="merkle-root">{root}</code>' in detail
    assert f'id="receipt-page-link" href="{reverse("lottery-public:receipt", args=[code])}"' in (
        detail
    )
    assert client.get(reverse("lottery-public:state", args=[code])).json()["merkle_root"] == root
    receipt_page = client.get(reverse("lottery-public:receipt", args=[code])).content.decode()
    assert f'data-root="{root}"' in receipt_page
    client.force_login(operator)
    assert client.get(reverse("lottery:screen-state", args=[code])).json()["merkle_root"] == root
    screen = client.get(reverse("lottery:screen", args=[code])).content.decode()
    assert f'<code data-bind="merkle_root">{root}</code>' in screen


def test_before_signing_there_is_no_root_and_rehearsals_have_no_receipt_page(
    client, open_session, lottery_project, leader
):
    html = client.get(reverse("lottery-public:receipt", args=[open_session.code])).content
    assert 'data-root=""' in html.decode() and 'id="not-signed"' in html.decode()
    assert client.get(reverse("lottery-public:merkle", args=[open_session.code])).status_code == 404
    rehearsal = create_session(lottery_project, leader, code="R1", rehearsal=True)
    for name in ("receipt", "merkle"):
        url = reverse(f"lottery-public:{name}", args=[rehearsal.code])
        assert client.get(url).status_code == 404


def test_the_residents_page_links_to_its_receipt_with_a_qr_code(client, signed_session):
    household = signed_session.project.households.get(
        code=signed_session.bundle["allocation"][0]["household"]
    )
    html = client.get(reverse("public:resident", args=[household.lookup_code])).content.decode()
    receipt = household_receipt(signed_session, household.code)
    path = receipt.url.split("://", 1)[1].split("/", 1)[1]
    section = re.search(r'id="journey-lottery".*?</section>', html, re.S).group(0)
    assert f'href="/{path.replace("&", "&amp;")}"' in section
    assert "核验本户摇号回执" in section
    assert '<figure class="journey-qr"><img src="data:image/png;base64,' in section
    assert receipt.root in section


def test_the_screen_shows_the_root_once_signed(client, signed_session, operator):
    client.force_login(operator)
    state = client.get(reverse("lottery:screen-state", args=[signed_session.code])).json()
    assert state["merkle_root"] == signed_session.bundle["merkle_root"]
    html = client.get(reverse("lottery:screen", args=[signed_session.code])).content.decode()
    piece = re.search(r'<p class="commitment merkle-root"[^>]*>.*?</p>', html, re.S).group(0)
    assert signed_session.bundle["merkle_root"] in piece and " hidden" not in piece


def test_the_screen_keeps_the_root_hidden_while_drawing(client, drawing_session, operator):
    client.force_login(operator)
    state = client.get(reverse("lottery:screen-state", args=[drawing_session.code])).json()
    assert state["merkle_root"] is None
    html = client.get(reverse("lottery:screen", args=[drawing_session.code])).content.decode()
    assert re.search(r'id="screen-merkle-root" data-when="signed" hidden', html)


def test_the_result_notice_prints_the_apartments_and_the_receipt_on_its_one_page(
    signed_session, clerk
):
    from lottery.models import Allocation
    from publicity.services.notices import notice_pdf
    from tests.pdf import pdf_pages, squeezed

    code = signed_session.bundle["allocation"][0]["household"]
    household = signed_session.project.households.get(code=code)
    pages = pdf_pages(notice_pdf(actor=clerk, household=household, notice_type="result"))
    assert len(pages) == 1
    text = squeezed(pages[0])
    assert "分房结果通知书" in text
    signed = timezone.localdate(signed_session.closed_at)
    assert (
        f"摇号场次{signed_session.code}已于{signed.year}年{signed.month}月{signed.day}日"
        "经公证员签署确认" in text
    )
    receipt = household_receipt(signed_session, code)
    for allocation in Allocation.objects.filter(household=household).select_related("apartment"):
        apartment = allocation.apartment
        assert (
            f"{apartment.code}:E1安置小区{apartment.building.code}号楼{apartment.stair.code}单元"
            f"{apartment.floor}层,建筑面积{apartment.area}㎡" in text
        )
    assert "下一步" in text and "办理安置房合同签订和结算手续" in text
    assert f"摇号回执:场次{signed_session.code},分房结果第{receipt.index + 1}行" in text
    assert f"户{code}:{'、'.join(receipt.apartments)}" in text
    assert receipt.root in text
    assert receipt.compact in text  # the whole receipt, also in the QR code


def test_the_allocation_notice_before_the_draw_carries_no_receipt(signed_session, clerk):
    from publicity.services.notices import notice_pdf
    from tests.pdf import pdf_pages, squeezed

    code = signed_session.bundle["allocation"][0]["household"]
    household = signed_session.project.households.get(code=code)
    options = {"starts_at": "2031-05-17T08:30", "place": "礼堂", "check_in_minutes": 45}
    (page,) = pdf_pages(
        notice_pdf(actor=clerk, household=household, notice_type="allocation", options=options)
    )
    text = squeezed(page)
    assert "分房摇号通知书" in text
    assert "摇号回执" not in text and household_receipt(signed_session, code).root not in text


def test_the_receipt_qr_code_on_the_printed_notice_scans_back_to_a_receipt_that_verifies(
    signed_session, clerk
):
    """What a resident's phone reads off the paper: the receipt's QR code on the result
    notice, rasterised at 150 dpi and decoded, is the receipt page's address with this
    household's receipt, and that receipt verifies against the published root (and no other
    household's code is on it)."""
    from publicity.services.notices import notice_pdf
    from tests.publicity.test_notices import qr_codes

    root = session_merkle_root(signed_session)
    row = signed_session.bundle["allocation"][-1]
    household = signed_session.project.households.get(code=row["household"])
    pdf = notice_pdf(actor=clerk, household=household, notice_type="result")
    scanned = [text for text in qr_codes(pdf) if "/receipt/" in text]
    assert scanned == [household_receipt(signed_session, row["household"]).url]
    parsed = merkle.receipt_parse(scanned[0])
    merkle.receipt_verify(
        parsed, root=root, rows=len(signed_session.bundle["allocation"]), household=row["household"]
    )
    other = signed_session.bundle["allocation"][0]["household"]
    with pytest.raises(merkle.ReceiptError):
        merkle.receipt_verify(
            parsed, root=root, rows=len(signed_session.bundle["allocation"]), household=other
        )


def test_the_verify_receipt_command_accepts_a_real_receipt_and_refuses_the_others(
    signed_session,
):
    rows = signed_session.bundle["allocation"]
    mine = household_receipt(signed_session, rows[0]["household"])
    out = io.StringIO()
    call_command("verify_receipt", mine.url, stdout=out)
    assert out.getvalue().startswith(f"OK:回执有效:安置户 {mine.household} 分得")
    theirs = household_receipt(signed_session, rows[1]["household"])
    with pytest.raises(CommandError, match=f"这张回执属于安置户 {theirs.household}"):
        call_command(
            "verify_receipt", theirs.compact, session=signed_session.code, household=mine.household
        )
    with pytest.raises(CommandError, match="默克尔根不符"):
        call_command("verify_receipt", V17_H03, root=V17_ROOT, rows=12)
