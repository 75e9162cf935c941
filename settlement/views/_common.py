"""What several settlement staff pages share: the permission check, the household and
statement lookups, how a refusal is shown, role labels."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from households.access import projects_q
from households.models import Household
from resettlement.errors import NotAllowed, RuleViolation, apply_errors
from resettlement.roles import ROLE_BY_CODE
from resettlement.uploads import private_file_response
from settlement import bank
from settlement.models import Statement

view_statements = permission_required("settlement.view_statement", raise_exception=True)


def _role_label(code: str) -> str:
    role = ROLE_BY_CODE.get(code)
    return str(role.label) if role else code


def _household(request: HttpRequest, pk: int) -> Household:
    """The household, if its project is visible to the user (404 otherwise, as for none)."""
    return get_object_or_404(
        Household.objects.select_related("project", "community", "group").filter(
            projects_q(request.user)
        ),
        pk=pk,
    )


def _visible_statement(request: HttpRequest, pk: int) -> Statement:
    """The statement, if its project is visible to the user (404 otherwise, as for none)."""
    return get_object_or_404(Statement.objects.filter(projects_q(request.user)), pk=pk)


def refuse_on_form(form: forms.Form, exc: RuleViolation) -> None:
    """A service's refusal put on the fields it names (the page is shown again); one for an
    actor who may not do this at all is a 403."""
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    apply_errors(form, exc.details, exc.message)


def refuse_as_message(request: HttpRequest, exc: RuleViolation) -> None:
    """A service's refusal as a message on the page redirected to; one for an actor who may
    not do this at all is a 403."""
    if isinstance(exc, NotAllowed):
        raise PermissionDenied(exc.message) from exc
    messages.error(request, exc.message)


def form_errors_as_messages(request: HttpRequest, form: forms.Form) -> None:
    """Every error of an invalid form as a message (for a form posted from another page)."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def bank_file_download(rows, *, kind: str, title: str, filename: str) -> FileResponse:
    """A bank batch file (`settlement.bank`) as a download: "xlsx" or "csv" (else 404). It
    carries full account numbers, so no cache keeps it and no browser guesses its type."""
    if kind == "xlsx":
        data, content_type = bank.batch_xlsx(rows, title=title), bank.XLSX_CONTENT_TYPE
    elif kind == "csv":
        data, content_type = bank.batch_csv(rows), bank.CSV_CONTENT_TYPE
    else:
        raise Http404
    return private_file_response(
        data, as_attachment=True, filename=f"{filename}.{kind}", content_type=content_type
    )
