"""What people type or import is cleaned at the input layer (resettlement.text): bidi
controls are removed from names and free text, free text has a length limit, pages and
API answers with personal data are never stored by a cache, and the API's map (schema and
docs) is for logged-in users only."""

from __future__ import annotations

import pytest
from django import forms
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from households.models import Household, Member
from households.resources import roster_import
from households.services import registration
from publicity.models import Complaint
from resettlement.errors import RuleViolation
from resettlement.imports.files import read_roster
from resettlement.text import TEXT_MAX_LENGTH, clean_text
from tests.households.factories import household_data, member_data
from tests.xlsx import household_rows, roster_xlsx

pytestmark = pytest.mark.django_db


RLO, PDF, LRI, PDI = "\u202e", "\u202c", "\u2066", "\u2069"
# Shows as "王某 户主" but is stored, searched and masked as something else.
SPOOFED = f"王{RLO}主户 某{PDF}"


def test_clean_text_removes_every_bidi_control_and_nothing_else():
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert clean_text(f"李{controls}四") == "李四"
    kept = "王小明 O'Neil\u200d👨‍👩‍👧 ١٢٣ שלום"  # joiners, Arabic digits, Hebrew letters
    assert clean_text(kept) == kept


# --- every input path ---------------------------------------------------------------------


def test_the_api_stores_names_and_notes_without_bidi_controls(clerk, group):
    api = APIClient()
    api.force_login(clerk)
    body = {
        "project": group.project_id,
        "community": group.community_id,
        "group": group.pk,
        **household_data(code="H-BIDI", notes=f"备注{LRI}abc{PDI}"),
        "members": [member_data(name=f"{RLO}张三{PDF}")],
    }
    response = api.post("/api/households/", body, format="json")
    assert response.status_code == 201, response.json()
    household = Household.objects.get(code="H-BIDI")
    assert household.notes == "备注abc"
    assert household.members.get().name == "张三"


def test_the_staff_form_stores_notes_without_bidi_controls(client, clerk, register):
    household = register()
    client.force_login(clerk)
    url = reverse("staff:household-edit", args=[household.pk])
    form = {
        "code": household.code,
        "address": f"{RLO}南宫河村{PDF}",
        "phone": "",
        "agreement_number": "",
        "demolished_area": "100",
        "notes": f"{LRI}门牌已拆{PDI}",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:500]
    household.refresh_from_db()
    assert (household.address, household.notes) == ("南宫河村", "门牌已拆")


def test_the_public_report_form_stores_text_without_bidi_controls(client):
    cache.clear()
    form = {"category": "allocation", "text": f"组长{RLO}私下调换了房号{PDF}", "website": ""}
    assert client.post(reverse("public:complaint-file"), form).status_code == 302
    assert Complaint.objects.get().text == "组长私下调换了房号"


def test_an_import_stores_names_without_bidi_controls(clerk, roster_project):
    rows = household_rows("H001")
    rows[0]["name"] = SPOOFED
    dataset = read_roster(roster_xlsx(rows), "xlsx")
    report = roster_import(actor=clerk, project=roster_project, dataset=dataset)
    assert report.ok, report.problems
    assert Member.objects.filter(name="王主户 某").exists()
    assert not Member.objects.filter(name__contains=RLO).exists()


# --- length limits ------------------------------------------------------------------------


def test_five_megabytes_of_household_notes_are_refused_everywhere(clerk, register):
    household = register()
    huge = "很长的备注" * (1024 * 1024)
    api = APIClient()
    api.force_login(clerk)
    refused = api.patch(f"/api/households/{household.pk}/", {"notes": huge}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "bad_request"
    client = Client()
    client.force_login(clerk)
    edit = reverse("staff:household-edit", args=[household.pk])
    assert client.post(edit, {"code": household.code, "notes": huge}).status_code == 400
    with pytest.raises(RuleViolation) as violation:
        registration.household_update(actor=clerk, household=household, data={"notes": huge})
    assert violation.value.details[0]["field"] == "notes"
    household.refresh_from_db()
    assert household.notes == ""


def test_notes_one_character_over_the_limit_are_refused_with_the_limit(clerk, register):
    household = register()
    too_long = "x" * (TEXT_MAX_LENGTH + 1)
    api = APIClient()
    api.force_login(clerk)
    refused = api.patch(f"/api/households/{household.pk}/", {"notes": too_long}, format="json")
    assert refused.status_code == 400
    assert "2000" in str(refused.json())
    client = Client()
    client.force_login(clerk)
    page = client.post(
        reverse("staff:household-edit", args=[household.pk]),
        {"code": household.code, "demolished_area": "1", "notes": too_long},
    )
    assert page.status_code == 200 and "2000" in page.content.decode()
    household.refresh_from_db()
    assert household.notes == ""


def test_notes_of_exactly_the_limit_are_kept(clerk, register):
    household = register()
    registration.household_update(
        actor=clerk, household=household, data={"notes": "x" * TEXT_MAX_LENGTH}
    )
    household.refresh_from_db()
    assert len(household.notes) == TEXT_MAX_LENGTH


def test_any_text_field_without_a_limit_of_its_own_gets_the_free_text_limit():
    """A form or serializer field written without max_length — today's or tomorrow's."""
    with pytest.raises(forms.ValidationError):
        forms.CharField().clean("x" * (TEXT_MAX_LENGTH + 1))
    assert forms.CharField().clean("x" * TEXT_MAX_LENGTH) == "x" * TEXT_MAX_LENGTH
    assert forms.CharField(max_length=4000).clean("x" * 3000) == "x" * 3000  # its own
    with pytest.raises(serializers.ValidationError):
        serializers.CharField().run_validation("x" * (TEXT_MAX_LENGTH + 1))
    assert serializers.CharField().run_validation(f"a{RLO}b") == "ab"
    # A password is taken exactly as typed.
    password = forms.CharField(widget=forms.PasswordInput, strip=False)
    assert password.clean(f"pa{RLO}ss") == f"pa{RLO}ss"


# --- caching ----------------------------------------------------------------------------------


def no_store(response) -> bool:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def test_pages_and_answers_with_personal_data_are_never_stored(client, clerk, register):
    household = register()
    client.force_login(clerk)
    assert no_store(client.get(reverse("staff:household-detail", args=[household.pk])))
    assert no_store(client.get(reverse("staff:household-list")))
    assert no_store(client.get(f"/admin/households/household/{household.pk}/change/"))
    assert no_store(client.get("/api/households/"))
    assert no_store(client.get(f"/api/households/{household.pk}/"))
    visitor = Client()
    assert no_store(visitor.get(f"/public/my/{household.lookup_code}/"))
    assert no_store(visitor.get(f"/public/aftercare/{household.lookup_code}/"))
    assert no_store(visitor.get(reverse("public:complaint-status")))
    assert no_store(visitor.get(reverse("login")))


def test_public_pages_without_personal_data_may_still_be_cached(client, db):
    home = client.get("/public/")
    assert home.status_code == 200 and not no_store(home)


# --- the API's schema and docs ------------------------------------------------------------


def test_the_api_schema_and_docs_need_a_login(client, clerk):
    schema = client.get("/api/schema/")
    assert schema.status_code in (401, 403)
    assert "paths" not in schema.content.decode()
    docs = client.get("/api/docs/")
    assert docs.status_code == 302 and docs.url.startswith(reverse("login"))
    client.force_login(clerk)
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200
