"""The fast way a batch of notices is printed (stamps laid out once) prints the same notices
as the plain way: the same text and the same picture on every page; and every QR code reads
back as its text."""

from __future__ import annotations

import random
import string
import subprocess
import tempfile
from pathlib import Path

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageChops

from publicity.pdf import notices as publicity_notices
from publicity.pdf.qr import qr_matrix
from publicity.services import notices
from resettlement import pdf as resettlement_pdf
from tests.households.factories import approve, member_data
from tests.publicity.test_notices import LOTTERY, embedded_images, page_texts, qr_codes

# A page is the same picture when at most this share of its pixels differ by more than a
# faint anti-aliasing shade: a line of text moved, or missing, changes thousands.
DIFFERENT_PIXELS = 0.0005
SHADE = 48


def _reference_qr(text: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return code.get_matrix()


def _read_back(matrix: list[list[bool]]) -> str:
    """What a phone reads off the code, printed 4 pixels a module."""
    size = len(matrix)
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    image = Image.frombytes("L", (size, size), pixels).resize((size * 4, size * 4))
    (found,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return found.text


def test_every_qr_code_reads_back_as_its_text_and_is_no_larger_than_qrcodes():
    rng = random.Random(15)
    alphabet = string.ascii_uppercase + string.digits
    texts = [
        publicity_notices.resident_url("".join(rng.choices(alphabet, k=10))) for _ in range(60)
    ]
    # Other lengths too, up to a receipt's (~760 characters for 5,000 households).
    texts += [
        "".join(rng.choices(string.ascii_letters + string.digits + "-_.:/#&=", k=length))
        for length in (1, 17, 60, 150, 300, 500, 760)
    ]
    for text in texts:
        matrix = qr_matrix(text)
        assert _read_back(matrix) == text
        # Never larger than qrcode's smallest version (zxing-cpp mixes modes, often smaller).
        assert len(matrix) <= len(_reference_qr(text)), text


def page_images(pdf: bytes) -> list[Image.Image]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory, "notices.pdf")
        path.write_bytes(pdf)
        command = ["pdftoppm", "-r", "100", "-png", str(path), f"{directory}/page"]
        subprocess.run(command, check=True)  # noqa: S603
        return [
            Image.open(page).convert("L") for page in sorted(Path(directory).glob("page-*.png"))
        ]


def different_share(one: Image.Image, other: Image.Image) -> float:
    assert one.size == other.size
    histogram = ImageChops.difference(one, other).histogram()
    return sum(histogram[SHADE:]) / (one.size[0] * one.size[1])


@pytest.fixture
def households_of_all_sizes(register, reviewer, leader):
    """Households of one, three and five people: the list of their names takes one line or
    two, so what follows it stands higher or lower on the page."""
    names = ["钱多多", "孙美丽", "李小龙", "周星星", "吴天明"]
    relations = ["head", "spouse", "child", "child", "parent"]
    made = []
    for size in (3, 1, 5, 3):
        members = [
            member_data(relation, name=name + "" * size, sex="F" if relation == "spouse" else "M")
            for relation, name in zip(relations[:size], names[:size], strict=True)
        ]
        made.append(approve(register(members=members), reviewer=reviewer, leader=leader))
    return made


@pytest.mark.parametrize(
    ("notice_type", "options"),
    [
        ("allocation", LOTTERY),
        ("allocation", {**LOTTERY, "contact": "", "language": "en"}),
        ("registration", {}),
        ("publicity", {}),
    ],
)
def test_a_batch_with_stamps_prints_what_the_plain_render_prints(
    households_of_all_sizes, notice_type, options
):
    project = households_of_all_sizes[0].project
    cleaned = notices.clean_options(project=project, notice_type=notice_type, options=options)
    households = list(notices._households(project, notice_type).order_by("code"))
    assert len(households) == 4
    resettlement_pdf._STAMP_SOURCES.clear()
    batch, pages = publicity_notices.notices_render(
        households=households, notice_type=notice_type, options=cleaned
    )
    assert resettlement_pdf._STAMP_SOURCES, "the batch did not use stamps"
    assert pages == 4
    # The reference: the same batch laid out plainly, every page in full, as before stamps.
    plain, plain_pages = publicity_notices.notices_render(
        households=households, notice_type=notice_type, options=cleaned, stamps=False
    )
    assert plain_pages == 4
    plain_texts, plain_images = page_texts(plain), page_images(plain)
    batch_texts, batch_images = page_texts(batch), page_images(batch)
    assert len(batch_texts) == len(batch_images) == 4
    for number, household in enumerate(households):
        assert household.code in batch_texts[number]
        assert batch_texts[number] == plain_texts[number], f"page {number + 1}"
        share = different_share(batch_images[number], plain_images[number])
        assert share <= DIFFERENT_PIXELS, f"page {number + 1}"
    # The QR codes, drawn into the pages by the finisher (resettlement.pdf, pictures): one
    # image a household, and each page's reads as that household's own page.
    assert embedded_images(batch) == embedded_images(plain) == 4
    for number, household in enumerate(households, start=1):
        expected = publicity_notices.resident_url(household.lookup_code)
        assert qr_codes(batch, number) == [expected], f"page {number}"


def test_a_batch_is_laid_out_without_the_default_styles_of_lists_and_footnotes():
    """The batch's default stylesheet is WeasyPrint's less the rules of six pseudo-elements
    a notice never has (resettlement.pdf): after a WeasyPrint upgrade that moved them, the
    batch would quietly fall back to the full stylesheet and lose their cost's saving."""
    import weasyprint

    batch_html = resettlement_pdf.batch_html_class()
    assert batch_html is not weasyprint.HTML
    document = batch_html(string="<p>一</p>")
    (lean,) = document._ua_stylesheets()
    (full,) = weasyprint.HTML(string="<p>一</p>")._ua_stylesheets()
    # The six universal rules (`::marker { … }` and the like) are gone, and nothing else.
    assert len(full.matcher.other_selectors) - len(lean.matcher.other_selectors) == 6
    for kind in ("lower_local_name_selectors", "class_selectors", "id_selectors"):
        full_rules, lean_rules = getattr(full.matcher, kind), getattr(lean.matcher, kind)
        assert {k: len(v) for k, v in full_rules.items()} == {
            k: len(v) for k, v in lean_rules.items()
        }


def test_a_batch_whose_pages_have_a_footer_still_prints_it():
    """A batch skips WeasyPrint's margin boxes only on pages whose margin boxes have no
    content (a notice's); a page with a footer and page numbers keeps them."""
    import weasyprint.layout

    unit = (
        '<section class="notice"><div class="stamp" data-stamp="title"><p>通知</p></div>'
        "<!--/stamp--><p>第{n}户</p></section>"
    )
    html = (
        "<html><head><style>@page { size: A5; @bottom-left { content: '核验码 1234' }"
        " @bottom-right { content: '第 ' counter(page) ' 页,共 ' counter(pages) ' 页' } }"
        " .notice { break-before: page } .notice:first-child { break-before: auto }"
        " .stamp { display: flow-root }</style></head><body>"
        + "".join(unit.format(n=n) for n in range(1, 4))
        + "</body></html>"
    )
    pdf, pages = resettlement_pdf.stamped_html_pdf(html, r'<section class="notice">.*?</section>')
    texts = page_texts(pdf)
    assert pages == len(texts) == 3
    for number, text in enumerate(texts, start=1):
        assert f"第{number}户" in text and "通知" in text
        assert "核验码1234" in text and f"第{number}页,共3页" in text
    assert getattr(weasyprint.layout.make_margin_boxes, "for_batches", False)


def test_the_comparison_sees_a_line_that_moved(households_of_all_sizes):
    """The picture comparison above is not blind: notices of a one-person and a five-person
    household, whose text below the names stands a line apart, differ by far more."""
    project = households_of_all_sizes[0].project
    cleaned = notices.clean_options(project=project, notice_type="allocation", options=LOTTERY)
    households = list(notices._households(project, "allocation").order_by("code"))
    one, five = (
        publicity_notices.notices_render(
            households=[household], notice_type="allocation", options=cleaned, stamps=False
        )[0]
        for household in (households[1], households[2])
    )
    (one_image,), (five_image,) = page_images(one), page_images(five)
    assert different_share(one_image, five_image) > 20 * DIFFERENT_PIXELS


def test_a_batch_of_result_notices_with_stamps_prints_what_the_plain_render_prints(
    signed_session,
):
    """The result notice's stamp (what happens next) follows each household's apartments and
    comes before its receipt, whose QR code and text differ on every page."""
    project = signed_session.project
    cleaned = notices.clean_options(project=project, notice_type="result", options={})
    households = list(notices._households(project, "result").order_by("code")[:4])
    assert len(households) == 4
    resettlement_pdf._STAMP_SOURCES.clear()
    batch, pages = publicity_notices.notices_render(
        households=households, notice_type="result", options=cleaned
    )
    assert resettlement_pdf._STAMP_SOURCES, "the batch did not use stamps"
    plain, plain_pages = publicity_notices.notices_render(
        households=households, notice_type="result", options=cleaned, stamps=False
    )
    assert pages == plain_pages == 4
    plain_texts, plain_images = page_texts(plain), page_images(plain)
    batch_texts, batch_images = page_texts(batch), page_images(batch)
    for number, household in enumerate(households):
        assert household.code in batch_texts[number] and "摇号回执" in batch_texts[number]
        assert batch_texts[number] == plain_texts[number], f"page {number + 1}"
        share = different_share(batch_images[number], plain_images[number])
        assert share <= DIFFERENT_PIXELS, f"page {number + 1}"
