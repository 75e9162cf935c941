"""Searching a published table from an index, not by reading its snapshot.

A search word matches a row when one of the row's public (masked) cells contains it, case
folded: a household code, a surname, a villager group, a relation. Each published row is
stored once more as a `PublicationRow` with

- `text`: its case-folded cells, one a line (no word contains a line break, so a word never
  matches across two cells), which the search filters with `LIKE '%word%'`; and
- `grams`: every 1-, 2- and 3-character piece of every case-folded cell, under a GIN index
  (`jsonb_path_ops`) on PostgreSQL. A word of up to three characters must be one of the
  row's pieces; a longer word must have all its 3-character pieces among them. The index
  finds the few rows that have every piece of every word, and `LIKE` checks those.

This is how pg_trgm finds substrings, done here because pg_trgm reads Chinese as word
separators under the C locale (a one-character surname has no trigram at all). On SQLite
(the embedded setup) `LIKE` alone filters the publication's rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

GRAM = 3


def row_text(cells: Iterable[object]) -> str:
    return "\n".join(str(cell).casefold() for cell in cells)


def row_grams(cells: Iterable[object]) -> list[str]:
    """The row's pieces of 1 to GRAM characters (none with white space: words have none)."""
    pieces: set[str] = set()
    for cell in cells:
        for part in str(cell).casefold().split():
            length = len(part)
            for size in range(1, min(GRAM, length) + 1):
                pieces.update(part[start : start + size] for start in range(length - size + 1))
    return sorted(pieces)


def query_words(query: str) -> list[str]:
    return [word.casefold() for word in query.split() if word]


def word_grams(word: str) -> list[str]:
    if len(word) <= GRAM:
        return [word]
    return sorted({word[i : i + GRAM] for i in range(len(word) - GRAM + 1)})


def matching(rows: QuerySet, query: str) -> QuerySet:
    """The `PublicationRow`s of `rows` with every word of the query in one of their cells."""
    words = query_words(query)
    if not words:
        return rows
    if connection.vendor == "postgresql":
        grams = sorted({gram for word in words for gram in word_grams(word)})
        rows = rows.filter(grams__contains=grams)
    for word in words:
        rows = rows.filter(text__contains=word)
    return rows
