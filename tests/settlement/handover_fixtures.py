"""Fixtures and helpers for agreements, handover and defects (on top of `settlement_project`
from tests/settlement/conftest.py).

- `private_media`: uploads and issued agreements go to a temporary directory.
- `handed_over`: household G11-01 of `settlement_project` with its keys handed over.
- `no_apartment`: an approved household of the same project without any allocation.
- `png_bytes()`, `jpeg_bytes()`, `upload(name, data)`: photos as a phone sends them.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from households.models import Household, HouseholdStatus, HukouNature, Member, Relation
from settlement.services import handover
from tests.factories import id_number

HANDED_OVER_ON = dt.date(2026, 1, 10)


def png_bytes(colour: str = "white") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(colour: str = "grey") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


def upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type)


@pytest.fixture
def private_media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private_media"},
        },
    }
    return tmp_path / "private_media"


def first_household(sp) -> Household:
    return sorted(sp.households, key=lambda h: h.code)[0]


def hand_over(household, clerk, *, on: dt.date = HANDED_OVER_ON, **overrides):
    values = {
        "handed_over_on": on,
        "keys": 3,
        "water_reading": "12.50",
        "electricity_reading": "305.0",
        "gas_reading": None,
        "received_by": "王建国",
        "signature_record": "交房确认单第0001号",
        **overrides,
    }
    return handover.handover_record(actor=clerk, household=household, **values)


@pytest.fixture
def household(settlement_project) -> Household:
    return first_household(settlement_project)


@pytest.fixture
def handed_over(household, clerk) -> Household:
    hand_over(household, clerk)
    return household


@pytest.fixture
def no_apartment(settlement_project, clerk) -> Household:
    """An approved household of the project that took part in no lottery."""
    other = first_household(settlement_project)
    household = Household.objects.create(
        project=other.project,
        community=other.community,
        group=other.group,
        code="G11-99",
        registered_by=clerk,
        status=HouseholdStatus.APPROVED,
        approved_by=clerk,
        approved_at=timezone.now(),
        resettlement_population=2,
        entitlement_area="80.00",
    )
    Member.objects.create(
        project=household.project,
        household=household,
        name="赵无房",
        relation=Relation.HEAD,
        id_number=id_number(dt.date(1960, 1, 1)),
        sex="M",
        birth_date=dt.date(1960, 1, 1),
        hukou_nature=HukouNature.AGRICULTURAL,
        entered_by=clerk,
    )
    return household
