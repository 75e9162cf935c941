"""Freezing rows into a public snapshot: masking and the content hash.

The hash is SHA-256 over a canonical JSON form (keys sorted, no spaces, UTF-8, non-ASCII
kept) of everything the public sees: kind, project, community, title, version, period,
column labels and the masked rows. It is printed on the page and in every PDF footer, so a
paper copy on a notice board can be matched to the online one. docs/publicity.md shows how
to recompute it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.conf import settings
from django.utils import translation

from resettlement import publicity_kinds
from resettlement.masking import Mask, mask
from resettlement.publicity_kinds import PublicityKind


def public_rows(kind: PublicityKind, rows: list[dict[str, Any]], *, mask_names: bool) -> list:
    """Rows as the public may see them: only the kind's columns, each masked as declared."""
    result = []
    for row in rows:
        public = []
        for column in kind.columns:
            value = row.get(column.key, "")
            if column.mask is Mask.NAME and not mask_names:
                public.append("" if value is None else str(value))
            elif column.mask is not None:
                public.append(mask(value, column.mask, community=row.get("community", "")))
            else:
                public.append("" if value is None else str(value))
        result.append(public)
    return result


def frozen_rows(publication) -> tuple[list[str], list[list[str]]]:
    """The column labels and rows publishing `publication` would freeze right now: built by
    its kind, masked, in the system's language (Chinese) whoever asks — the headings and
    display values are part of what the hash covers. Publishing and the staff preview of a
    draft both use this, so the preview is what will be published."""
    spec = publicity_kinds.get(publication.kind)
    with translation.override(settings.LANGUAGE_CODE):
        rows = spec.build_rows(publication.project, publication.community)
        columns = [str(column.label) for column in spec.columns]
        return columns, public_rows(spec, rows, mask_names=publication.mask_names)


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def content_hash(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(document)).hexdigest()


def hashed_document(publication) -> dict[str, Any]:
    """What the hash covers, built from a publication's stored fields."""
    return {
        "kind": publication.kind,
        "project": publication.project.code,
        "community": publication.community.code if publication.community_id else None,
        "title": publication.title,
        "version": publication.version,
        "starts_on": publication.starts_on.isoformat(),
        "ends_on": publication.ends_on.isoformat(),
        "columns": publication.columns,
        "rows": publication.rows,
    }
