"""Security headers on every kind of page, the Content-Security-Policy, and pages that keep
to it: no inline script, no inline style, no on*= handlers anywhere a browser renders."""

from __future__ import annotations

import io
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from settlement.models import Statement
from tests.demo.seeding import demo_settings, seed

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_secure_headers(response) -> None:
    assert directives(response["Content-Security-Policy"]) == POLICY
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_a_staff_page_carries_the_policy_and_the_headers(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("staff:household-list"))
    assert response.status_code == 200
    assert_secure_headers(response)


def test_a_public_page_carries_the_policy_and_the_headers(client, db):
    response = client.get(reverse("public:project-list"))
    assert response.status_code == 200
    assert_secure_headers(response)


def test_the_login_page_and_the_api_carry_them_too(client, clerk):
    assert_secure_headers(client.get(reverse("login")))
    client.force_login(clerk)
    assert_secure_headers(client.get("/api/households/"))


def test_swagger_ui_may_use_inline_style_but_no_inline_script(client, clerk):
    client.force_login(clerk)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    policy = directives(page["Content-Security-Policy"])
    assert policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["script-src"] == "'self'"
    scripts = InlineFinder.scan(page.content.decode())
    assert [p for p in scripts if "script" in p] == []
    start = client.get(reverse("api-docs"), {"script": ""})  # the start-up script, a file
    assert start.status_code == 200 and "SwaggerUIBundle" in start.content.decode()


def test_uploaded_documents_keep_their_own_sandboxed_policy_and_download_only(
    client, clerk, register, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    household = register()
    client.force_login(clerk)
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(image, "PNG")
    image.seek(0)
    image.name = "page.html"  # the name does not decide anything
    client.post(
        reverse("staff:document-upload", args=[household.pk]),
        {"kind": "hukou_book", "file": image},
    )
    document = household.documents.get()
    served = client.get(reverse("staff:document-download", args=[document.pk]))
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in directives(served["Content-Security-Policy"])
    assert directives(served["Content-Security-Policy"])["default-src"] == "'none'"


# -- every page a browser renders keeps to the policy ---------------------------------------


class InlineFinder(HTMLParser):
    """Collects what the policy would block: inline <script> (JSON data blocks are not
    run, so they are fine), <style> elements, style="" and on*="" attributes; and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.links: list[str] = []

    @classmethod
    def scan(cls, html: str) -> list[str]:
        finder = cls()
        finder.feed(html)
        return finder.problems

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        is_data = attributes.get("type") == "application/json"
        if tag == "script" and "src" not in attributes and not is_data:
            self.problems.append(f"inline <script> {attributes}")
        if tag == "style":
            self.problems.append("<style> element")
        for name, _value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f'<{tag} {name}="…">')
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])


# Pages not crawled: logging out, file downloads and machine endpoints, the admin (Django's
# own pages), and switching the language.
SKIP = re.compile(
    r"^/(accounts/logout|admin/|i18n/|api/|static/)|\.(pdf|json|xlsx|csv|png|jpg|zip)$|"
    r"/(download|pdf|export|photo|bundle|verifier|state)(/|\.|$)"
)


def pattern(path: str) -> str:
    return re.sub(r"[0-9]+", "N", re.sub(r"/[A-Z]+[0-9A-Z-]*", "/CODE", path))


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        override_settings(**demo_settings(media)),
        transaction.atomic(),
    ):
        seed()
        get_user_model().objects.create_superuser("security_root", password="pw-for-tests")
        yield
        transaction.set_rollback(True)


def crawl(client: Client, starts: list[str], limit: int = 160) -> dict[str, list[str]]:
    """Breadth-first over the site's own links, at most two pages per URL shape; returns
    each HTML page's problems."""
    seen_shapes: Counter = Counter()
    queue, visited, found = list(starts), set(), {}
    while queue and len(found) < limit:
        url = queue.pop(0)
        parts = urlsplit(url)
        if parts.netloc or url in visited or SKIP.search(parts.path):
            continue
        visited.add(url)
        shape = pattern(parts.path)
        if seen_shapes[shape] >= 2:
            continue
        seen_shapes[shape] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        assert "Content-Security-Policy" in response, url
        finder = InlineFinder()
        finder.feed(response.content.decode())
        found[url] = finder.problems
        queue.extend(urljoin(url, link).split("#")[0] for link in finder.links)
    return found


@pytest.mark.django_db
def test_no_page_of_the_demo_site_has_inline_script_or_style(demo):
    staff = Client()
    staff.force_login(get_user_model().objects.get(username="security_root"))
    statement = Statement.objects.order_by("pk").first()
    starts = ["/staff/", "/public/", "/accounts/confirm-password/"]
    pages = crawl(staff, [*starts, reverse("settlement:statement-detail", args=[statement.pk])])
    pages.update(crawl(Client(), ["/public/", "/accounts/login/"]))
    # The crawl reached the main pages of every stage.
    for prefix in (
        "/staff/households/",
        "/staff/allocation/",
        "/staff/lottery/",
        "/staff/settlement/statements/",
        "/staff/settlement/handover/",
        "/staff/publicity/",
        "/public/lottery/",
        "/public/",
    ):
        assert any(url.startswith(prefix) for url in pages), (prefix, sorted(pages))
    assert len(pages) > 30
    offending = {url: problems for url, problems in pages.items() if problems}
    assert offending == {}


TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_no_template_has_inline_script_or_style_even_in_branches_the_crawl_missed():
    """PDF templates are rendered by WeasyPrint, never served as pages: they may style
    inline. Template tags are blanked first so `{% if %}` attributes parse."""
    offending = {}
    for template in TEMPLATES.rglob("*.html"):
        relative = template.relative_to(TEMPLATES).as_posix()
        if relative.startswith("pdf/") or "/pdf/" in relative:
            continue
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "x", template.read_text(), flags=re.S)
        problems = InlineFinder.scan(text)
        if problems:
            offending[relative] = problems
    assert offending == {}
