"""PDF rendering with WeasyPrint, shared by every app that prints.

Chinese text needs a CJK font: Debian's fonts-noto-cjk ("Noto Sans CJK SC"), found through
fontconfig. Templates extend ``pdf/base.html``, whose stylesheet sets A4 pages, a fixed
table layout (WeasyPrint lays such tables out far faster) and a footer with
"page x of y" and whatever the document puts in its ``footer`` block (a content hash).
"""

from __future__ import annotations

import base64
import contextvars
import functools
import gc
import io
import re
from typing import Any

import PIL.Image
from django.conf import settings
from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> tuple[bytes, int]:
    """Render a template to PDF; returns the bytes and the number of pages."""
    from weasyprint import HTML  # imported lazily: it is heavy and only workers need it

    html = render_to_string(template, context)
    document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
    return document.write_pdf(), len(document.pages)


def warm_up() -> None:
    """Import WeasyPrint and load the CJK font once (a second or more), so that a worker
    process's first document does not wait for it. Then freeze what the process has loaded
    (Django, WeasyPrint, fonts: it lives as long as the process) out of the garbage
    collector's sight: a document makes hundreds of thousands of objects, and each full
    collection they set off scanned all of it again — a fifth of a notice's CPU time
    (bench/notices.py, issue 15). What documents leave behind is collected as before: the
    collector's thresholds stay Python's (collecting less often saved half a millisecond
    a notice, but a worker's memory then grew by 200 MB over thirty villager groups, up to
    the limit at which Celery replaces it, CELERY_MAX_MEMORY_PER_CHILD)."""
    from weasyprint import HTML

    HTML(string='<p style="font-family: Noto Sans CJK SC">预热 0-9</p>').write_pdf()
    gc.collect()
    gc.freeze()


def document_language(language: str | None) -> str:
    """The language a printed document is in: Simplified Chinese — the official text that
    residents, notaries and notice boards read — unless another of the site's languages is
    asked for explicitly (an English copy for whoever works in English)."""
    known = {code for code, _name in settings.LANGUAGES}
    return language if language in known else settings.LANGUAGE_CODE


# --- stamps: a block that is the same on every page, laid out and drawn once ------------------
#
# A batch of one-page documents (the notices of a villager group) repeats most of each page
# word for word: the title, the lottery's time and place, the documents to bring, the
# matters to note, the signature. WeasyPrint lays out and draws that text again on every
# page, and it is two thirds of a page's cost. A template marks such a block
#     <div class="stamp" data-stamp="NAME">…</div><!--/stamp-->
# (the class makes it a block formatting context with no margin of its own below its
# content: `.stamp { display: flow-root } .stamp > :last-child { margin-bottom: 0 }`, so
# that its height is all it takes on the page). `render_pdf_stamped` lays the block out once
# per process, on a page of its own that shows nothing else, and turns that page into a PDF form
# XObject; on every page whose block is the same text, an empty block of the same height
# takes its place and the form is drawn where it stands. What the page shows and its text
# (pdftotext) stay the same: tests/publicity/test_notice_rendering.py compares both with
# the plain render. A block whose text differs on some page is laid out there as usual.

_STAMP = re.compile(
    r'<div class="stamp" data-stamp="(?P<name>[\w-]+)">(?P<body>.*?)</div><!--/stamp-->', re.S
)
# The stamp's page shows the stamp only. Hidden text still takes its place, which moves the
# stamp but does not change it; a table's collapsed borders are drawn whatever its cells'
# visibility, so the tables around it are left out.
_STAMP_SOURCE_CSS = (
    "<style>.stamp-source * { visibility: hidden; }"
    " .stamp-source .stamp-shown, .stamp-source .stamp-shown * { visibility: visible; }"
    " .stamp-source table { display: none; }"
    " .stamp-source .stamp-shown table { display: table; }</style>"
)
# Pictures: a small image that differs on every page (a notice's QR code) is marked
#     <img class="CLASS" data-drawn src="data:image/png;base64,…" alt="…">
# and, in a stamped batch, WeasyPrint lays out an empty block of the same class in its place
# (the stylesheet gives the class its size and position) while the finisher draws the image
# there, pixel-sharp (no smoothing, as `image-rendering: pixelated` asks: the marked images
# are codes). WeasyPrint's own way with an image — decoding it, laying out and drawing a
# replaced box, embedding it — cost a tenth of a notice (bench/notices.py, issue 15); the
# finisher embeds the image's pixels as they are. The picture looks the same
# (tests/publicity/test_notice_rendering.py compares the pages with the plain render).
_PICTURE = re.compile(
    r'<img class="(?P<cls>[\w -]+)" data-drawn src="data:image/png;base64,(?P<data>[\w+/=]+)"'
    r"[^>]*>"
)

# How a stamped batch is laid out, beyond the stamps: two savings inside WeasyPrint, each
# for something a batch of one-page units never has, each held to the plain render's pages
# by tests/publicity/test_notice_rendering.py (the plain render keeps WeasyPrint as it is).
#
# - The default stylesheet less six rules. WeasyPrint's styles six pseudo-elements of every
#   element (::marker, and the calls and markers of footnotes and notes), and their styles
#   are computed for every element of every page, though only a list item has a marker and
#   only a footnote a call: some forty styles a notice, 3.5 % of its instructions
#   (bench/notices.py, issue 15). A notice has no lists and no footnotes
#   (templates/pdf/notices.html says so).
# - No margin boxes made for nothing. For every page WeasyPrint makes its sixteen margin
#   boxes (@top-left … @right-bottom), gives each a style and resolves its sizes, and then
#   keeps only those with content; a page whose margin boxes have none (a notice's) keeps
#   none, and that work was a tenth of a notice's instructions. In a batch's layout, such a
#   page is given no margin boxes straight away, which is what WeasyPrint ends up with; a
#   page with a footer or page numbers is laid out by WeasyPrint as usual.
_UNUSED_PSEUDO_ELEMENTS = (
    "marker",
    "footnote-call",
    "footnote-marker",
    "note-call",
    "note-marker",
    "note-callback",
)
_MARGIN_BOXES = tuple(
    f"@{side}-{place}"
    for side, places in (
        ("top", ("left-corner", "left", "center", "right", "right-corner")),
        ("bottom", ("left-corner", "left", "center", "right", "right-corner")),
        ("left", ("top", "middle", "bottom")),
        ("right", ("top", "middle", "bottom")),
    )
    for place in places
)
_NO_CONTENT = ("normal", "inhibit", "none")  # WeasyPrint generates no margin box for these
# A stamp's page has no footer or page number of its own: its whole page is drawn as the
# stamp, and the page it is drawn on has its own.
_STAMP_SOURCE_PAGE_CSS = (
    "<style>@page { "
    + " ".join(f"{name} {{ content: none }}" for name in _MARGIN_BOXES)
    + " }</style>"
)
_IN_BATCH_LAYOUT = contextvars.ContextVar("in_batch_layout", default=False)


def _margin_boxes_for_batches(make_margin_boxes):
    """WeasyPrint's make_margin_boxes, except in a batch's layout for a page whose margin
    boxes all lack content: none, at once (above)."""

    @functools.wraps(make_margin_boxes)
    def margin_boxes(context, page, state):
        if _IN_BATCH_LAYOUT.get():
            styles = (context.style_for(page.page_type, name) for name in _MARGIN_BOXES)
            if all(style is None or style["content"] in _NO_CONTENT for style in styles):
                return ()
        return make_margin_boxes(context, page, state)

    margin_boxes.for_batches = True
    return margin_boxes


@functools.cache
def batch_html_class() -> type:
    """WeasyPrint's HTML as a batch lays it out (above); WeasyPrint's own HTML if it no
    longer has what the savings rely on as expected (a new WeasyPrint:
    tests/publicity/test_notice_rendering.py says so)."""
    import weasyprint.layout
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle
    from weasyprint.html import UA

    names = "|".join(re.escape(name) for name in _UNUSED_PSEUDO_ELEMENTS)
    lean, removed = re.subn(rf"^::(?:{names}) {{[^}}]*}}\n", "", UA, flags=re.M)
    if removed != len(_UNUSED_PSEUDO_ELEMENTS) or not callable(
        getattr(weasyprint.layout, "make_margin_boxes", None)
    ):
        return HTML
    if not getattr(weasyprint.layout.make_margin_boxes, "for_batches", False):
        weasyprint.layout.make_margin_boxes = _margin_boxes_for_batches(
            weasyprint.layout.make_margin_boxes
        )
    # Its @counter-style rules go to a store of their own: WeasyPrint's has them already.
    sheet = CSS(string=lean, counter_style=CounterStyle())

    class BatchHTML(HTML):
        def _ua_stylesheets(self, forms=False):
            return [sheet, *super()._ua_stylesheets(forms)[1:]]

        def render(self, *args, **kwargs):
            batch = _IN_BATCH_LAYOUT.set(True)
            try:
                return super().render(*args, **kwargs)
            finally:
                _IN_BATCH_LAYOUT.reset(batch)

    return BatchHTML


# A worker renders the same batch options again and again: the stamp pages are kept, per
# process, keyed by their HTML (the WeasyPrint document must stay alive with its fonts).
_STAMP_SOURCES: dict[tuple, Any] = {}
_STAMP_SOURCES_KEPT = 8


def _stamp_source(html: str, page: re.Pattern, stamps: dict[str, str]):
    """One page per stamp, laid out as on the first page that has it, with everything but
    that stamp hidden; with the stamp's position (the anchor `stamp-src-NAME`). Kept per
    process for the same stylesheet and stamps: a stamp's layout depends on them and on
    the width it is given, which a template gives it the same on every page (the hidden
    text around it, another household's, only moves it)."""

    units = list(page.finditer(html))
    head, tail = html[: units[0].start()], html[units[-1].end() :]
    key = (head, tail, *stamps.items())
    if key in _STAMP_SOURCES:
        return _STAMP_SOURCES[key]
    pages = []
    for name, body in stamps.items():
        for unit in units:
            if f'<div class="stamp" data-stamp="{name}">{body}</div>' in unit.group(0):
                break
        marked = unit.group(0).replace(
            f'<div class="stamp" data-stamp="{name}">',
            f'<div class="stamp stamp-shown" data-stamp="{name}" id="stamp-src-{name}">',
            1,
        )
        # The unit's own element (the first class attribute: `page` starts with that
        # element, whatever its class) becomes the stamp page's, all but the stamp hidden.
        pages.append(marked.replace('class="', 'class="stamp-source ', 1))
    styles = _STAMP_SOURCE_CSS + _STAMP_SOURCE_PAGE_CSS
    source = head.replace("</head>", styles + "</head>", 1) + "".join(pages) + tail
    document = batch_html_class()(string=source, base_url=str(settings.BASE_DIR)).render()
    assert len(document.pages) == len(stamps), "a stamp page did not fit on one page"
    if len(_STAMP_SOURCES) >= _STAMP_SOURCES_KEPT:
        _STAMP_SOURCES.pop(next(iter(_STAMP_SOURCES)))
    _STAMP_SOURCES[key] = document
    return document


def render_pdf_stamped(template: str, context: dict[str, Any], page: str) -> tuple[bytes, int]:
    """Render a template of one-page units (`page`: a regular expression matching one unit,
    e.g. a notice's <section>) to PDF, with the blocks marked as stamps laid out and drawn
    once (see above). Returns the bytes and the number of pages, as render_pdf."""
    html = render_to_string(template, context)
    return stamped_html_pdf(html, page)


def stamped_html_pdf(html: str, page: str) -> tuple[bytes, int]:
    from weasyprint import HTML

    unit = re.compile(page, re.S)
    stamps: dict[str, str] = {}
    for match in _STAMP.finditer(html):
        stamps.setdefault(match["name"], match["body"])
    if not stamps:
        document = HTML(string=html, base_url=str(settings.BASE_DIR)).render()
        return document.write_pdf(), len(document.pages)
    source = _stamp_source(html, unit, stamps)
    boxes = {}  # name -> (x, y, x2, y2) on its stamp page
    for name, stamp_page in zip(stamps, source.pages, strict=True):
        boxes[name] = stamp_page.anchors[f"stamp-src-{name}"]
    serial = 0

    def placeholder(match: re.Match) -> str:
        nonlocal serial
        name = match["name"]
        if match["body"] != stamps[name]:
            return match.group(0)  # not the same text: laid out here
        serial += 1
        return (
            f'<div class="stamp stamp-slot" data-stamp="{name}" id="stamp-{name}-{serial}"></div>'
        )

    # The slots' heights in the stylesheet, not in style attributes: WeasyPrint shares a
    # computed style between elements with the same rules, but not with a style attribute.
    heights = "".join(
        f'.stamp-slot[data-stamp="{name}"] {{ height: {bottom - top!r}px; }}'
        for name, (_x, top, _x2, bottom) in boxes.items()
    )
    html = _STAMP.sub(placeholder, html).replace("</head>", f"<style>{heights}</style></head>", 1)
    pictures: list[str] = []  # the PNG data (base64) of each picture, by serial

    def picture_slot(match: re.Match) -> str:
        pictures.append(match["data"])
        return f'<div class="{match["cls"]}" id="picture-{len(pictures) - 1}"></div>'

    html = _PICTURE.sub(picture_slot, html)
    document = batch_html_class()(string=html, base_url=str(settings.BASE_DIR)).render()
    names = list(stamps)
    # Where each page draws which stamp (PDF points from the stamp page's position) and which
    # picture (its box on the page, in CSS pixels from the top left corner).
    draws, placed = [], []
    for laid_out in document.pages:
        page_draws, page_pictures = [], []
        for anchor, (x, y, x2, y2) in laid_out.anchors.items():
            if anchor.startswith("stamp-"):
                name = anchor[len("stamp-") :].rsplit("-", 1)[0]
                source_x, source_y, _sx2, _sy2 = boxes[name]
                page_draws.append((names.index(name), (x - source_x) * 0.75, (source_y - y) * 0.75))
            elif anchor.startswith("picture-"):
                page_pictures.append((pictures[int(anchor[len("picture-") :])], (x, y, x2, y2)))
        draws.append(page_draws)
        placed.append(page_pictures)
    combined = document.copy([*document.pages, *source.pages])

    def finisher(_document, pdf) -> None:
        _stamps_to_forms(pdf, len(names), draws, placed)

    return combined.write_pdf(finisher=finisher), len(document.pages)


def _object(pdf, reference) -> Any:
    """The pydyf object a reference ("12 0 R") points to."""
    if isinstance(reference, bytes):
        reference = reference.decode()
    return pdf.objects[int(str(reference).split()[0])]


@functools.lru_cache(maxsize=256)
def _picture_pixels(data: str) -> tuple[dict[str, Any], bytes]:
    """A PNG's pixels as a PDF image wants them: black and white one bit a pixel (a QR
    code: the PNG of one), otherwise grey or RGB eight bits a channel."""
    image = PIL.Image.open(io.BytesIO(base64.b64decode(data)))
    if image.mode == "1":  # rows padded to whole bytes, 0 black: as PDF's DeviceGray 1-bit
        space, bits = "/DeviceGray", 1
    elif image.mode == "L":
        space, bits = "/DeviceGray", 8
    else:
        image, space, bits = image.convert("RGB"), "/DeviceRGB", 8
    extra = {
        "Type": "/XObject",
        "Subtype": "/Image",
        "Width": image.width,
        "Height": image.height,
        "ColorSpace": space,
        "BitsPerComponent": bits,
        "Interpolate": "false",
    }
    return extra, image.tobytes()


def _stamps_to_forms(
    pdf,
    count: int,
    draws: list[list[tuple[int, float, float]]],
    placed: list[list[tuple[str, tuple[float, float, float, float]]]],
) -> None:
    """The last `count` pages become form XObjects (WeasyPrint drew their text with the
    document's fonts, so one font subset serves both), drawn where `draws` says; the
    pictures are drawn in the boxes `placed` gives them."""
    import pydyf

    kids = pdf.pages["Kids"]
    numbers = kids[::3]
    stamp_pages = [pdf.objects[number] for number in numbers[-count:]]
    del kids[-3 * count :]
    pdf.pages["Count"] -= count
    for index, stamp_page in enumerate(stamp_pages):
        form = _object(pdf, stamp_page["Contents"])
        form.extra.update(
            {
                "Type": "/XObject",
                "Subtype": "/Form",
                "BBox": stamp_page["MediaBox"],
                "Resources": stamp_page["Resources"],
            }
        )
        resources = _object(pdf, stamp_page["Resources"])
        resources["XObject"][f"stamp{index}"] = form.reference
    images: dict[str, str] = {}  # a picture's PNG data -> its image XObject's name
    for number, page_draws, page_pictures in zip(numbers[:-count], draws, placed, strict=True):
        if not page_draws and not page_pictures:
            continue
        page = pdf.objects[number]
        stream = _object(pdf, page["Contents"])
        # The page's own drawing leaves its transformation in place: keep it to itself.
        stream.stream.insert(0, b"q")
        stream.stream.append(b"Q")
        for index, dx, dy in page_draws:
            stream.stream.append(f"q 1 0 0 1 {dx:f} {dy:f} cm /stamp{index} Do Q".encode())
        # Default user space now: points, from the bottom left corner of the page.
        height = float(page["MediaBox"][3])
        for data, (x, y, x2, y2) in page_pictures:
            if data not in images:
                extra, pixels = _picture_pixels(data)
                image = pydyf.Stream([pixels], dict(extra))
                pdf.add_object(image)
                images[data] = f"picture{len(images)}"
                _object(pdf, page["Resources"])["XObject"][images[data]] = image.reference
            width, depth = (x2 - x) * 0.75, (y2 - y) * 0.75
            stream.stream.append(
                f"q {width:f} 0 0 {depth:f} {x * 0.75:f} {height - y2 * 0.75:f} cm"
                f" /{images[data]} Do Q".encode()
            )
    # Every id is an anchor, and WeasyPrint names a destination for each: the stamps' ids
    # are for finding them here, not for links.
    names = pdf.catalog.get("Names")
    if names is not None:
        names.pop("Dests", None)
