"""The one masking function: what the public may see of a person, and the numbers in the
free text people write (objections, answers, reports), however they write them."""

import datetime as dt
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from households import idnumbers
from resettlement.masking import Mask, mask


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        ("33011019650809001X", Mask.ID_NUMBER, "33*************01X"),
        ("13812345678", Mask.PHONE, "138****5678"),
        ("0571-86001234", Mask.PHONE, "057*****1234"),
        ("王建国", Mask.NAME, "王**"),
        ("李明", Mask.NAME, "李*"),
        ("欧阳修", Mask.NAME, "欧阳*"),
        ("王", Mask.NAME, "王*"),
        ("南宫河村3组12号", Mask.ADDRESS, "南宫河社区"),
        ("", Mask.NAME, ""),
        (None, Mask.ID_NUMBER, ""),
    ],
)
def test_personal_data_is_masked_to_what_the_public_may_see(value, kind, shown):
    assert mask(value, kind, community="南宫河社区") == shown


def test_a_short_value_never_shows_in_full():
    assert mask("1234", Mask.PHONE) != "1234"
    assert mask("12345", Mask.ID_NUMBER).endswith("*")


# --- Numbers in free text (objections, answers, reports, defects) ----------------------------

# How people break a number up when they write it down.
SEPARATORS = [" ", "  ", "-", " - ", ".", "\u3000", "\u00a0", "\u200b", "\u2014", "\t", "\n"]
# Text around a number, without digits: letters (an "ID" stuck to it), Chinese, punctuation.
WORDS = st.text(alphabet="IDabcyz身份证号码电话是:,，。()!我", max_size=12)


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _longest_run(text: str) -> int:
    """Digits in the longest number of `text`, separators allowed between them (three at
    most) as a reader would join them."""
    runs = re.findall(r"\d(?:[\s\-.\u3000\u200b\u2014]{0,3}\d)*", text)
    return max((len(_digits(run)) for run in runs), default=0)


@pytest.mark.parametrize(
    ("written", "published"),
    [
        # The two the issue found published.
        ("联系人身份证 330125 19800101 1234 请核实", "联系人身份证 33*************234 请核实"),
        ("ID330125198001011234", "ID33*************234"),
        ("身份证号:33012519800101123X。", "身份证号:33*************23X。"),
        ("330125-1980-0101-123x", "33*************23x"),
        ("电话 138 1234 5678", "电话 138****5678"),
        ("电话138-1234-5678", "电话138****5678"),
        ("打 +86 138.1234.5678", "打 +138****5678"),
        ("座机 0571-86001234", "座机 057*****1234"),
        ("13812345678", "138****5678"),
        # Dates, amounts and short numbers stay readable.
        ("2013-06-30 迁入,面积 120.50 ㎡,第3组12号", "2013-06-30 迁入,面积 120.50 ㎡,第3组12号"),
    ],
)
def test_numbers_written_in_free_text_are_masked_however_they_are_broken_up(written, published):
    assert mask(written, Mask.TEXT) == published


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789Xx -.\u3000\u200b\u2014abID身份证,，", max_size=80))
@example("330125 19800101 1234")
@example("ID330125198001011234")
def test_no_number_of_fifteen_digits_or_more_survives(text):
    assert _longest_run(mask(text, Mask.TEXT)) < 15


@st.composite
def written_id_numbers(draw) -> tuple[str, str]:
    """A valid ID number, cut into pieces with separators, inside digit-free text."""
    birth = draw(st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2024, 12, 31)))
    number = idnumbers.make(
        draw(st.sampled_from(["330125", "110105", "440305", "510107"])),
        birth,
        draw(st.integers(0, 499)),
        draw(st.sampled_from("MF")),
    )
    if number.endswith("X") and draw(st.booleans()):
        number = number[:-1] + "x"
    cuts = sorted(draw(st.sets(st.integers(1, 17), max_size=6)))
    pieces = [number[a:b] for a, b in zip([0, *cuts], [*cuts, 18], strict=True)]
    glue = [draw(st.sampled_from(SEPARATORS)) for _ in pieces[1:]]
    written = pieces[0] + "".join(sep + piece for sep, piece in zip(glue, pieces[1:], strict=True))
    return number, draw(WORDS) + written + draw(WORDS)


@settings(max_examples=300, deadline=None)
@given(written_id_numbers())
def test_an_id_number_in_free_text_keeps_at_most_five_characters_and_cannot_be_recomputed(case):
    number, text = case
    shown = mask(text, Mask.TEXT)
    left = _digits(shown) + "".join(ch for ch in shown if ch in "Xx")
    assert len(left) <= 5, shown
    # Not the birth date, not the sequence: nothing to recompute the number from.
    assert number[6:14] not in _digits(shown) and number[:17] not in _digits(shown)


@st.composite
def written_mobiles(draw) -> tuple[str, str]:
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    grouping = draw(st.sampled_from([(3, 4, 4), (3, 8), (11,), (4, 3, 4), (3, 3, 5)]))
    pieces, start = [], 0
    for size in grouping:
        pieces.append(number[start : start + size])
        start += size
    sep = draw(st.sampled_from(SEPARATORS))
    prefix = draw(st.sampled_from(["", "+86 ", "0086-", "86"]))
    return number, draw(WORDS) + prefix + sep.join(pieces) + draw(WORDS)


@settings(max_examples=300, deadline=None)
@given(written_mobiles())
def test_a_mobile_number_in_free_text_never_shows_in_full(case):
    number, text = case
    shown = mask(text, Mask.TEXT)
    assert number not in _digits(shown), shown
    assert len(_digits(shown)) <= 7, shown  # 138****5678: the middle four hidden


@given(st.text(alphabet=st.characters(categories=["L", "P", "Zs"]), max_size=60))
def test_text_without_digits_is_left_as_it_was(text):
    assert mask(text, Mask.TEXT) == text
