"""The public publication page, kept rendered (DESIGN: a published snapshot never changes).

Two things are kept in the default cache (Redis in production, shared by every web worker
and replica):

- a publication's **page state** (`state_key`): its content hash and a digest of what may
  still change on its page after publishing (status, answered objections, the newest print
  run and its finished PDFs, its other versions, whether its period is open today),
  computed from the database by `publicity.selectors.public_site.publication_state`. Its
  key holds today's date (a period opens and ends at midnight) and it lives for
  `STATE_SECONDS` at most; the services that change any of it forget it at once
  (`forget`, called by publishing, withdrawing, closing, answering an objection, starting
  a print run and finishing a PDF part);
- the **rendered page**, under its ETag: the state, a digest of the page number and the
  search asked for, and the language. A new state is a new ETag, so a kept page is never
  stale and nothing else needs deleting. Each web process also keeps the last
  `LOCAL_PAGES` pages it served in memory under the same ETag; a search's page is kept
  there only (anyone may type any number of searches: they must not fill Redis).

Each web process also remembers a page state it read for `LOCAL_STATE_SECONDS` (one
second): under load, the round trip to Redis was the largest cost of a kept page. So a
page seen before costs no database query and, most of the time, no cache read either; a
GET writes nothing to the database (filling the cache is a Redis write).

How soon a change shows: at once in the process that made it (`forget` drops its own
memory too) and in the shared cache, so within `LOCAL_STATE_SECONDS` on every other web
process. `forget` runs at once and again after the transaction commits: a page state read
in between, from before the commit, is dropped too; only a state computed before a commit
and stored after it can outlive a change, by `STATE_SECONDS` at most. (Browsers and
proxies may keep a page five minutes, `SNAPSHOT_MAX_AGE` in the view, whatever the
server does.)
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

# How long a page state is trusted without a service saying it changed: the bound on a
# change that raced with a page view (see the module's docstring).
STATE_SECONDS = 60
# How long a rendered page of the table is kept in the shared cache (its ETag dies with
# its state). Searches are kept only in each process's memory (`page_set`).
PAGE_SECONDS = 3600
# How long a web process trusts a page state it read without asking the cache again.
LOCAL_STATE_SECONDS = 1.0
# Pages each web process keeps in memory (a table page is 20-60 kB).
LOCAL_PAGES = 256
# A rendered page larger than this is not kept (a pathological search result page).
MAX_PAGE_BYTES = 512 * 1024

_local: dict[str, bytes] = {}
# state key -> (state, until when it is trusted, on the `_clock`)
_states: dict[str, tuple[str, float]] = {}
_clock = time.monotonic


def state_key(publication_id: int) -> str:
    return f"public-publication-state:{publication_id}:{timezone.localdate().isoformat()}"


def page_state(publication_id: int, compute: Callable[[int], str | None]) -> str | None:
    """The publication's page state, from the cache or `compute` (None: not public)."""
    key = state_key(publication_id)
    now = _clock()
    remembered = _states.get(key)
    if remembered is not None and remembered[1] > now:
        return remembered[0]
    state = cache.get(key)
    if state is None:
        state = compute(publication_id)
        if state is None:  # an unknown or draft publication is asked again next time
            return None
        cache.set(key, state, STATE_SECONDS)
    if len(_states) >= LOCAL_PAGES * 16:
        _states.clear()  # yesterday's keys, or a crawl of every publication
    _states[key] = (state, now + LOCAL_STATE_SECONDS)
    return state


def etag(state: str, *, page: str, query: str, language: str) -> str:
    asked = hashlib.sha256(f"{page}|{query}".encode()).hexdigest()[:16]
    return f"{state}-{asked}-{language}"


def _page_key(publication_id: int, tag: str) -> str:
    return f"public-publication-page:{publication_id}:{tag}"


def page_get(publication_id: int, tag: str) -> bytes | None:
    key = _page_key(publication_id, tag)
    body = _local.get(key)
    if body is None:
        body = cache.get(key)
        if body is not None:
            _keep_locally(key, body)
    return body


def page_set(publication_id: int, tag: str, body: bytes, *, searched: bool) -> None:
    """Keep a rendered page. A search's page (or an odd page number's) is kept in this
    process's memory only, which is bounded: anyone may type any number of searches, and
    each would otherwise take room in Redis."""
    if len(body) > MAX_PAGE_BYTES:
        return
    key = _page_key(publication_id, tag)
    if not searched:
        cache.set(key, body, PAGE_SECONDS)
    _keep_locally(key, body)


def _keep_locally(key: str, body: bytes) -> None:
    while len(_local) >= LOCAL_PAGES:
        try:  # the oldest kept first; another thread may have taken it meanwhile
            del _local[next(iter(_local))]
        except (KeyError, StopIteration, RuntimeError):
            break
    _local[key] = body


def forget(publication_ids: Iterable[int]) -> None:
    """What changed these publications' pages calls this: their page states are dropped now
    and again once the transaction commits (see the module's docstring)."""
    keys = [state_key(pk) for pk in set(publication_ids)]
    if not keys:
        return

    def drop() -> None:
        cache.delete_many(keys)
        for key in keys:
            _states.pop(key, None)

    drop()
    transaction.on_commit(drop)


def clear_local() -> None:
    """Forget what this process keeps in memory (tests start from nothing kept)."""
    _local.clear()
    _states.clear()
