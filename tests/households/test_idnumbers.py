"""Resident ID numbers (GB 11643-1999): what the registry accepts, refuses and reads from them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from households import idnumbers
from households.validation import clean_member
from tests.households.factories import member_data

# The standard's own published example: a woman born on 31 December 1949 in Beijing's
# Chaoyang district. Its 17 digits weigh 167 in total; 167 mod 11 = 2, which maps to "X".
PUBLISHED_EXAMPLE = "11010519491231002X"

# Worked with the same algorithm: sum(digit × weight) mod 11 picks from "10X98765432".
KNOWN_GOOD = [
    # number,             birth date,            sex
    (PUBLISHED_EXAMPLE, dt.date(1949, 12, 31), "F"),
    ("440304199001010011", dt.date(1990, 1, 1), "M"),  # sum 176, mod 11 = 0 → "1"
    ("330106200002290029", dt.date(2000, 2, 29), "F"),  # a leap day; sum 168 → 3 → "9"
    ("510108198511300033", dt.date(1985, 11, 30), "M"),  # sum 207 → 9 → "3"
    ("320583201312310045", dt.date(2013, 12, 31), "F"),  # sum 227 → 7 → "5"
    ("310115190001010052", dt.date(1900, 1, 1), "M"),  # earliest year allowed; sum 98 → 10 → "2"
]


def with_check_character(first17: str) -> str:
    """A number whose checksum is right, so only the part under test can be wrong."""
    return first17 + idnumbers.check_character(first17)


def refusal_code(raw: str) -> str:
    with pytest.raises(idnumbers.InvalidIDNumber) as error:
        idnumbers.parse(raw)
    return error.value.code


@pytest.mark.parametrize(("number", "birth_date", "sex"), KNOWN_GOOD)
def test_valid_number_is_accepted_with_its_birth_date_and_sex(number, birth_date, sex):
    parsed = idnumbers.parse(number)
    assert parsed.number == number
    assert parsed.birth_date == birth_date
    assert parsed.sex == sex


def test_the_check_character_of_the_published_example_is_x():
    assert idnumbers.check_character(PUBLISHED_EXAMPLE[:17]) == "X"


def test_lowercase_x_is_accepted_and_stored_upper_case():
    assert idnumbers.parse("11010519491231002x").number == PUBLISHED_EXAMPLE


@pytest.mark.parametrize(
    "keyed_in",
    [
        " 11010519491231002X ",
        "110105 19491231 002X",
        "110105\t19491231\t002x",
        "110105 1949 1231 002 X\n",
        "110105\u300019491231002X",  # the full-width space of a Chinese input method
    ],
)
def test_spaces_are_stripped_before_checking(keyed_in):
    assert idnumbers.parse(keyed_in).number == PUBLISHED_EXAMPLE


def test_full_width_digits_from_a_chinese_input_method_are_stored_as_ascii():
    # Typed with a full-width IME the number looks the same on screen; stored as-is it would
    # slip past the per-project uniqueness check and the resettled-elsewhere lookup.
    assert idnumbers.parse("１１０１０５１９４９１２３１００２Ｘ").number == PUBLISHED_EXAMPLE


def test_digits_of_other_scripts_are_refused():
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in PUBLISHED_EXAMPLE[:17]) + "X"
    assert refusal_code(arabic_indic) == "id_shape"


def test_a_wrong_check_character_is_refused():
    wrong = PUBLISHED_EXAMPLE[:17] + "1"
    assert refusal_code(wrong) == "id_checksum"


def test_a_check_character_other_than_a_digit_or_x_is_refused():
    assert refusal_code(PUBLISHED_EXAMPLE[:17] + "Y") == "id_shape"


def test_one_mistyped_digit_is_caught_by_the_checksum():
    mistyped = "11010519491231003X"  # the sequence digit 2 keyed as 3
    assert refusal_code(mistyped) == "id_checksum"


def test_the_checksum_message_tells_the_clerk_to_check_for_a_typo():
    with pytest.raises(idnumbers.InvalidIDNumber) as error:
        idnumbers.parse(PUBLISHED_EXAMPLE[:17] + "1")
    assert "校验码" in str(error.value)


@pytest.mark.parametrize(
    "wrong_length",
    [
        PUBLISHED_EXAMPLE[:17],  # 17 characters: the check character forgotten
        PUBLISHED_EXAMPLE + "0",  # 19 characters
        "110105491231002",  # the old 15-digit format
        "",
    ],
)
def test_a_number_that_is_not_18_characters_long_is_refused(wrong_length):
    assert refusal_code(wrong_length) == "id_shape"


@pytest.mark.parametrize(
    "with_letters",
    [
        "1101051949123100XX",  # X is only allowed as the check character
        "11010519491231O02X",  # letter O for zero
        "A1010519491231002X",
    ],
)
def test_letters_in_the_first_17_characters_are_refused(with_letters):
    assert refusal_code(with_letters) == "id_shape"


@pytest.mark.parametrize(
    "impossible_date",
    [
        "11010519490230002",  # 30 February
        "11010519491301002",  # month 13
        "11010519490001002",  # month 0
        "11010519490100002",  # day 0
        "11010519490431002",  # 31 April
        "11010519490229002",  # 29 February in a year that is not a leap year
    ],
)
def test_a_birth_date_that_does_not_exist_is_refused(impossible_date):
    assert refusal_code(with_check_character(impossible_date)) == "id_birth_date"


def test_a_birth_before_1900_is_refused():
    assert refusal_code(with_check_character("11010518991231002")) == "id_birth_date"


def test_a_birth_on_the_first_day_of_1900_is_accepted():
    assert idnumbers.parse(with_check_character("11010519000101002")).birth_date == dt.date(
        1900, 1, 1
    )


@pytest.mark.parametrize(
    ("seventeenth_digit", "sex"),
    [
        ("0", "F"),
        ("1", "M"),
        ("2", "F"),
        ("3", "M"),
        ("4", "F"),
        ("5", "M"),
        ("8", "F"),
        ("9", "M"),
    ],
)
def test_the_17th_digit_is_odd_for_men_and_even_for_women(seventeenth_digit, sex):
    number = with_check_character("3301061980060100" + seventeenth_digit)
    assert idnumbers.parse(number).sex == sex


@pytest.mark.parametrize("sex", ["M", "F"])
@pytest.mark.parametrize("sequence", [0, 1, 4, 5, 123, 499])
def test_numbers_made_for_demo_data_are_valid(sequence, sex):
    birth = dt.date(1988, 8, 8)
    parsed = idnumbers.parse(idnumbers.make("330110", birth, sequence, sex))
    assert (parsed.birth_date, parsed.sex) == (birth, sex)


# clean_member: the ID number is the authority on birth date and sex.


def errors_by_field(raw: dict) -> dict[str, str]:
    _data, errors = clean_member(raw)
    return {error.field: error.code for error in errors}


def test_clean_member_accepts_a_member_whose_birth_date_and_sex_match_the_id():
    data, errors = clean_member(
        member_data(id_number="11010519491231002x", birth_date=dt.date(1949, 12, 31), sex="F")
    )
    assert errors == []
    assert data["id_number"] == PUBLISHED_EXAMPLE


def test_clean_member_rejects_a_birth_date_that_differs_from_the_id():
    raw = member_data(id_number=PUBLISHED_EXAMPLE, birth_date=dt.date(1949, 12, 30), sex="F")
    assert errors_by_field(raw) == {"birth_date": "birth_mismatch"}


def test_clean_member_rejects_a_sex_that_differs_from_the_id():
    raw = member_data(id_number=PUBLISHED_EXAMPLE, birth_date=dt.date(1949, 12, 31), sex="M")
    assert errors_by_field(raw) == {"sex": "sex_mismatch"}


def test_clean_member_accepts_sex_written_in_chinese():
    raw = member_data(id_number=PUBLISHED_EXAMPLE, birth_date=dt.date(1949, 12, 31), sex="女")
    data, errors = clean_member(raw)
    assert errors == []
    assert data["sex"] == "F"


def test_clean_member_fills_birth_date_and_sex_from_the_id_when_left_blank():
    raw = {**member_data(id_number=PUBLISHED_EXAMPLE), "birth_date": "", "sex": ""}
    data, errors = clean_member(raw)
    assert errors == []
    assert (data["birth_date"], data["sex"]) == (dt.date(1949, 12, 31), "F")


def test_clean_member_reports_a_bad_checksum_on_the_id_number_field():
    raw = member_data(id_number=PUBLISHED_EXAMPLE[:17] + "1")
    assert errors_by_field(raw) == {"id_number": "id_checksum"}


def test_clean_member_requires_an_id_number():
    assert errors_by_field(member_data(id_number="")) == {"id_number": "required"}


# The region code (first six digits) and the birth date against today


@pytest.mark.parametrize("region", ["999999", "000000", "119999"])
def test_a_region_code_that_never_existed_is_refused(region):
    number = with_check_character(f"{region}19850101001")

    with pytest.raises(idnumbers.InvalidIDNumber) as refused:
        idnumbers.parse(number)

    assert refused.value.code == "id_region"
    assert region in str(refused.value)


def test_a_region_code_younger_than_its_holder_is_accepted():
    # 330110 (余杭区) exists since 2001; numbers issued there carry it whatever the birth year.
    number = with_check_character("33011019850101001")

    assert idnumbers.parse(number).birth_date == dt.date(1985, 1, 1)


def test_a_region_code_since_abolished_is_accepted():
    # 330125 (余杭县) until 1994: numbers issued then are still carried today.
    assert idnumbers.parse(with_check_character("33012519700315001")).sex == "M"


@time_machine.travel(dt.datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_birth_date_in_the_future_is_refused():
    number = with_check_character("33011020300101001")

    with pytest.raises(idnumbers.InvalidIDNumber) as refused:
        idnumbers.parse(number)

    assert refused.value.code == "id_birth_date"
    assert "2030-01-01" in str(refused.value)


@time_machine.travel(dt.datetime(2026, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
def test_a_child_born_today_is_accepted():
    assert idnumbers.parse(with_check_character("33011020260601002")).sex == "F"


def test_the_region_refusal_reaches_the_member_form():
    _, errors = clean_member(member_data(id_number=with_check_character("99999919850101001")))

    assert [(e.field, e.code) for e in errors] == [("id_number", "id_region")]
