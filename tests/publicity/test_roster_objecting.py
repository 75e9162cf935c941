"""The printed roster says how to object — until when, where, the contact, the issuing
office and date — and a finished roster's community PDFs download as one zip."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse

from publicity.pdf import rosters
from publicity.services import rendering
from tests.pdf import pdf_pages, squeezed

pytestmark = pytest.mark.django_db


def _start(client, roster, capture, **options):
    with capture(execute=True):
        return client.post(reverse("publicity_pdf:start", args=[roster.pk]), options)


def test_the_printed_roster_says_how_to_object(roster):
    options = rendering.roster_options(
        roster,
        {"office": "南宫河社区安置办公室(村委会二楼)", "contact": "0571-86001234"},
    )
    pdf, _pages = rosters.roster_pdf(roster, "东湖村", options)
    text = squeezed(pdf_pages(pdf)[-1])

    assert "异议须知" in text
    assert "请于2026年3月8日(含当日)前" in text  # the end of its period
    assert squeezed("南宫河社区安置办公室(村委会二楼)") in text
    assert "联系电话:0571-86001234" in text
    assert squeezed(f"{roster.project.name}安置工作领导小组") in text  # the issuing office
    published = rosters.periods.local_date(roster.published_at)
    assert f"{published.year}年{published.month}月{published.day}日" in text  # and date


def test_the_print_page_asks_for_the_office_and_contact_and_prints_them(
    client, roster, leader, private_media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    page = client.get(reverse("publicity_pdf:jobs", args=[roster.pk])).content.decode()
    assert 'name="contact"' in page and 'name="office"' in page and 'name="issuer"' in page

    _start(
        client,
        roster,
        django_capture_on_commit_callbacks,
        issuer="余杭经济技术开发区管委会",
        office="东湖村村委会",
        contact="0571-86005678",
        issued_on="2026-03-02",
    )
    job = roster.render_jobs.get()
    part = job.parts.get(label="东湖村")
    text = squeezed(pdf_pages(part.file.read())[-1])
    assert "向东湖村村委会书面提出" in text and "联系电话:0571-86005678" in text
    assert "余杭经济技术开发区管委会" in text and "2026年3月2日" in text


def test_a_finished_roster_downloads_as_one_zip_of_its_community_pdfs(
    client, roster, leader, private_media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    _start(client, roster, django_capture_on_commit_callbacks, contact="0571-1")
    job = roster.render_jobs.get()
    page = client.get(reverse("publicity_pdf:jobs", args=[roster.pk])).content.decode()
    zip_url = reverse("publicity_pdf:job-zip", args=[job.pk])
    assert f'href="{zip_url}"' in page and "下载全部 2 份(zip)" in page

    response = client.get(zip_url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    # Served as every private file is: a download, never sniffed, cached or run.
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert "sandbox" in response["Content-Security-Policy"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = sorted(archive.namelist())
    assert names == [
        f"{roster.title}-v1-东湖村.pdf",
        f"{roster.title}-v1-西山社区.pdf",
    ]
    for name in names:
        assert archive.read(name).startswith(b"%PDF")


def test_an_unfinished_job_has_no_zip(client, roster, leader, django_capture_on_commit_callbacks):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=False):
        job = rendering.roster_render_start(actor=leader, publication=roster)
    assert client.get(reverse("publicity_pdf:job-zip", args=[job.pk])).status_code == 404


def test_a_slash_in_a_community_name_makes_no_folder_in_the_zip(
    client, roster, leader, private_media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    _start(client, roster, django_capture_on_commit_callbacks, contact="0571-1")
    job = roster.render_jobs.get()
    job.parts.filter(label="东湖村").update(label="东湖村/../一组")
    response = client.get(reverse("publicity_pdf:job-zip", args=[job.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert f"{roster.title}-v1-东湖村／..／一组.pdf" in names
    assert not any("/" in name for name in names)
