"""Staff pages for the roster import: the template download."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from households.import_template import FILE_NAME, roster_template
from resettlement.imports.files import XLSX_CONTENT_TYPE


@login_required
@permission_required("households.import_households", raise_exception=True)
def import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(roster_template(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, FILE_NAME)
    return response
