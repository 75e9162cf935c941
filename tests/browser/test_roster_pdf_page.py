"""A clerk prints a published roster: the PDF page's progress bar fills by itself as the
workers finish the communities, and each community's PDF downloads from it."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import expect

from publicity import tasks
from publicity.models import RenderJob
from publicity.services import rendering
from tests.browser.login import log_in
from tests.publicity.factories import clear_publications_before_flush

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def flushable_database():
    yield
    clear_publications_before_flush()


def test_the_progress_bar_fills_as_parts_finish_and_the_pdfs_download(
    page, live_server, roster, clerk, private_media
):
    with mock.patch.object(tasks.render_roster_part, "delay"):  # queued, workers busy
        job = rendering.roster_render_start(actor=clerk, publication=roster)
    log_in(page, live_server, clerk.username)
    page.goto(f"{live_server.url}/staff/publicity/{roster.pk}/pdf/")
    section = f"#job-{job.pk}"
    assert page.locator(f"{section} progress").get_attribute("value") == "0"
    assert page.locator(f"{section} .progress-text").inner_text() == "0/2 份已完成"

    # The workers finish, one community after the other; the page is not reloaded.
    first, second = job.parts.order_by("label")
    tasks.render_roster_part.delay(first.pk)
    expect(page.locator(f"{section} progress")).to_have_attribute("value", "1")
    tasks.render_roster_part.delay(second.pk)
    expect(page.locator(f"{section} progress")).to_have_attribute("value", "2")
    assert page.locator(f"{section} .progress-text").inner_text() == "2/2 份已完成"
    assert page.locator(f'{section} tr[data-part="{second.pk}"] .part-status').inner_text() == (
        "已完成"
    )

    with page.expect_download() as download:
        page.click(f'{section} tr[data-part="{second.pk}"] a')
    assert download.value.suggested_filename.endswith("-西山社区.pdf")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # Another job from the button, rendered at once here (tasks run eagerly in tests).
    page.click("#start-pdf button")
    page.wait_for_selector("ul.messages li.success")
    newest = RenderJob.objects.exclude(pk=job.pk).get()
    assert page.locator(f"#job-{newest.pk} .progress-text").inner_text() == "2/2 份已完成"
