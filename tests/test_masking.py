"""The one masking function: what the public may see of a person."""

import pytest

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
