"""The shared settlement fixture gives every household binding apartments and prices."""

import pytest

pytestmark = pytest.mark.django_db


def test_every_household_has_binding_apartments(settlement_project):
    for household in settlement_project.households:
        assert settlement_project.apartments_of(household)
        assert household.transition.moved_out_on
    assert settlement_project.project.over_area_bands.count() == 2
