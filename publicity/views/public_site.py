"""The public site (no login): projects, publications with their searchable tables, roster
PDFs, the objection form and the resident's own page reached by the lookup code.

Pages are in Simplified Chinese, the language of the official publicity, unless the visitor
chose English with the site's switch; kept pages are kept per language. Personal
data shown here is either a frozen, masked snapshot or passes through the one masking
function (see publicity.selectors.public_site).
"""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags, quote_etag
from django.views.decorators.cache import never_cache
from django.views.decorators.http import condition, require_http_methods, require_safe

from households.models import Project
from publicity import page_cache
from publicity.forms.objections import ObjectionForm
from publicity.models import Publication
from publicity.selectors import public_site
from publicity.services import objections
from publicity.snapshot import canonical, hashed_document
from resettlement import publicity_kinds
from resettlement.errors import RuleViolation, apply_errors
from resettlement.masking import Mask, mask
from resettlement.public_site import (
    LookupForm,
    language_tag,
    one_attachment,
    over_lookup_limit,
    private,
    public_page,
    public_post,
)

PAGE_SIZE = 50
# How long browsers and proxies may keep a publication page before asking again (the ETag
# makes asking cheap). Short, because answers to objections appear on the page.
SNAPSHOT_MAX_AGE = 300


# --- Projects and publications -------------------------------------------------------------


@require_safe
@public_page
def project_list(request: HttpRequest) -> HttpResponse:
    return render(request, "public/project_list.html", {"projects": public_site.public_projects()})


@require_safe
@public_page
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    if "\x00" in code:  # no code has one, and PostgreSQL refuses it in a query
        raise Http404
    project = get_object_or_404(Project, code=code)
    publications = [
        {
            "publication": p,
            "kind_label": publicity_kinds.label_of(p.kind),
            "open": public_site.is_open_for_objections(p),
        }
        for p in public_site.project_publications(project)
    ]
    return render(
        request,
        "public/project_detail.html",
        {"project": project, "publications": publications},
    )


def _asked(request: HttpRequest) -> tuple[str, str]:
    """The page number and the search as shown: an ID or phone number typed into the search
    is masked before it is searched or echoed (the rows are masked, so it could not match)."""
    # No row holds a NUL, and PostgreSQL refuses one in a query.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    return request.GET.get("page", "")[:20], mask(query, Mask.TEXT) if query else ""


def _matches(if_none_match: str, etag: str) -> bool:
    etags = {tag.removeprefix("W/") for tag in parse_etags(if_none_match)}  # weak comparison
    return "*" in etags or quote_etag(etag) in etags


def _small_number(page: str) -> bool:
    return page == "" or (page.isascii() and page.isdigit() and len(page) <= 3)


def _public_snapshot(response: HttpResponse, etag: str) -> HttpResponse:
    response.headers["ETag"] = quote_etag(etag)
    # Browsers and proxies may keep it a short while: answers to objections appear on it.
    patch_cache_control(response, public=True, max_age=SNAPSHOT_MAX_AGE)
    return response


@require_safe
@public_page
def publication_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Served from its kept copy when it was rendered before (publicity.page_cache): no
    database query, at most one small cache read, and a 304 to a client that has it."""
    state = page_cache.page_state(pk, public_site.publication_state)
    if state is None:
        raise Http404
    page_number, query = _asked(request)
    # Per language: a page in English is not the page in Chinese (nor its 304).
    etag = page_cache.etag(state, page=page_number, query=query, language=language_tag())
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and _matches(if_none_match, etag):
        return _public_snapshot(HttpResponseNotModified(), etag)
    body = page_cache.page_get(pk, etag)
    if body is None:
        response = _publication_page(request, pk, page_number, query)
        # Anyone may type many searches (and odd page numbers): those are kept briefly.
        searched = bool(query) or not _small_number(page_number)
        page_cache.page_set(pk, etag, response.content, searched=searched)
    else:
        response = HttpResponse(body)
    return _public_snapshot(response, etag)


def _publication_page(request: HttpRequest, pk: int, page_number: str, query: str) -> HttpResponse:
    publication = get_object_or_404(
        public_site.with_correction(public_site.public_publications())
        .select_related("project", "community")
        .defer("rows"),
        pk=pk,
    )
    page = Paginator(public_site.public_rows(publication, query), PAGE_SIZE).get_page(
        page_number or None
    )
    return render(
        request,
        "public/publication_detail.html",
        {
            "publication": publication,
            "kind_label": publicity_kinds.label_of(publication.kind),
            "columns": publication.columns,
            "page": page,
            # Each cell with its column's label: on a phone the table reads as cards.
            "rows": [list(zip(publication.columns, row, strict=False)) for row in page],
            "q": query,
            "versions": public_site.publication_versions(publication),
            "open": public_site.is_open_for_objections(publication),
            "objections": [
                public_site.public_objection(o)
                for o in public_site.answered_objections(publication)
            ],
            "parts": public_site.roster_parts(publication),
        },
    )


@require_safe
@condition(etag_func=lambda request, pk: public_site.snapshot_etag(pk))
def publication_snapshot(request: HttpRequest, pk: int) -> HttpResponse:
    """The exact bytes the content hash is computed over, so anyone can check it:
    SHA-256 of this file is the hash on the page and on the paper copy."""
    publication = public_site.snapshot_publication(pk)
    if publication is None:
        raise Http404
    response = HttpResponse(
        canonical(hashed_document(publication)), content_type="application/json; charset=utf-8"
    )
    response.headers["Content-Disposition"] = (
        f'inline; filename="publication-{publication.pk}-v{publication.version}.json"'
    )
    # A published snapshot never changes.
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


@require_safe
def roster_part_download(request: HttpRequest, pk: int, part_pk: int) -> FileResponse:
    part = public_site.public_part(pk, part_pk)
    if part is None:
        raise Http404
    publication = part.job.publication
    try:
        handle = part.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type="application/pdf",
        filename=f"{publication.title}-v{publication.version}-{part.label}.pdf",
    )
    # A finished part never changes: a new rendering is a new part.
    patch_cache_control(response, public=True, max_age=24 * 3600)
    return response


# --- Objections ---------------------------------------------------------------------------


def _objection_publication(pk: int) -> Publication:
    return get_object_or_404(
        public_site.public_publications().select_related("project", "community").defer("rows"),
        pk=pk,
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
@public_post("objection", upload_bytes=one_attachment)
def objection_file(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _objection_publication(pk)
    context = {"publication": publication, "kind_label": publicity_kinds.label_of(publication.kind)}
    if not public_site.is_open_for_objections(publication):
        return render(
            request,
            "public/objection_form.html",
            {**context, "closed": True},
            status=400 if request.method == "POST" else 200,
        )
    form = ObjectionForm()
    if request.method == "POST":
        form = ObjectionForm(request.POST, request.FILES)
        if form.is_bot:
            # Looks accepted, so the bot learns nothing; nothing is saved.
            return redirect("public:objection-thanks", pk=publication.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                objections.objection_file(
                    publication=publication,
                    contact_name=data["contact_name"],
                    contact_phone=data["contact_phone"],
                    household_code=data["household_code"],
                    text=data["text"],
                    attachment=data["attachment"] or None,
                )
            except RuleViolation as exc:
                if exc.code == "not_open":
                    return render(
                        request,
                        "public/objection_form.html",
                        {**context, "closed": True},
                        status=400,
                    )
                apply_errors(form, exc.details, exc.message)
            else:
                return redirect("public:objection-thanks", pk=publication.pk)
    return render(request, "public/objection_form.html", {**context, "form": form})


@require_safe
@public_page
def objection_thanks(request: HttpRequest, pk: int) -> HttpResponse:
    publication = _objection_publication(pk)
    return render(request, "public/objection_thanks.html", {"publication": publication})


# --- The resident's own page --------------------------------------------------------------


def _resident_page(request: HttpRequest, code: str) -> HttpResponse:
    if refused := over_lookup_limit(request, code):
        return refused
    record = public_site.resident_record(code)
    return private(
        render(
            request,
            "public/resident.html",
            {"record": record, "form": LookupForm()},
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
@public_page
def resident_lookup(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return private(_blank_lookup_page(request))
    form = LookupForm(request.POST)
    if form.is_valid():
        return _resident_page(request, form.cleaned_data["code"])
    return private(render(request, "public/resident_lookup.html", {"form": form}))


# The blank lookup page is the same for every visitor but for its CSRF token: it is rendered
# once per process and language with a placeholder that each visitor's token replaces
# (rendering it each time cost five times the site's trivial response). Not with DEBUG on,
# so template edits show at once.
_CSRF_PLACEHOLDER = "csrf-token-placeholder"
_blank_lookup_pages: dict[str, str] = {}


def _blank_lookup_page(request: HttpRequest) -> HttpResponse:
    language = translation.get_language()
    html = _blank_lookup_pages.get(language)
    if html is None:
        html = render_to_string(
            "public/resident_lookup.html",
            {"form": LookupForm(), "csrf_token": _CSRF_PLACEHOLDER},
            request=request,
        )
        if not settings.DEBUG:
            _blank_lookup_pages[language] = html
    return HttpResponse(html.replace(_CSRF_PLACEHOLDER, get_token(request)))


@never_cache
@require_safe
@public_page
def resident_by_code(request: HttpRequest, code: str) -> HttpResponse:
    """The target of the QR code printed on the household's notices."""
    return _resident_page(request, code)
