"""Two operators (here: fifty requests) clicking at once through the real HTTP stack.

Fifty simultaneous "draw next" posts for the same position, and fifty picks of the same
apartments, reach a live Django server with a thread and database connection per request:
exactly one succeeds, every other one gets a clean refusal (a 4xx with a message), and
none a 500. Row locks are PostgreSQL's; SQLite serialises writers by locking the whole
file, which proves nothing about them, so these tests run on PostgreSQL only.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections import Counter

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection
from django.test import Client

from lottery.models import Allocation, Reveal

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks under concurrent requests need PostgreSQL (set DATABASE_URL)",
    ),
]

REQUESTS = 50
CSRF = "concurrentclicksconcurrentclicks"  # any 32 characters: cookie and header must match


class HallServer(ThreadedWSGIServer):
    """Django's threaded server (one thread and one database connection per request, as
    the live server), with a listen backlog for fifty clients arriving at once: the live
    server's default of 10 makes the kernel reset connections before Django sees them."""

    request_queue_size = 128


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def hall_server(transactional_db):
    server = HallServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ("127.0.0.1", server.server_port)
    server.shutdown()
    server.server_close()  # waits for the request threads, which close their connections
    thread.join()


def cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"


def post_all(
    server: tuple[str, int], path: str, cookies: list[str], data: list[tuple[str, str]]
) -> list[tuple[int, dict]]:
    """POST `data` to `path` from REQUESTS threads released at the same instant."""
    body = urllib.parse.urlencode(data)
    start = threading.Barrier(REQUESTS)
    results: list[tuple[int, dict]] = [(0, {})] * REQUESTS

    def one(i: int) -> None:
        headers = {
            "Cookie": cookies[i % len(cookies)],
            "X-CSRFToken": CSRF,
            "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        client = http.client.HTTPConnection(*server, timeout=60)
        start.wait()
        try:
            client.request("POST", path, body=body, headers=headers)
            response = client.getresponse()
            raw = response.read()
        finally:
            client.close()
        try:
            results[i] = (response.status, json.loads(raw))
        except ValueError:
            results[i] = (response.status, {"raw": raw[:200].decode("utf-8", "replace")})

    threads = [threading.Thread(target=one, args=(i,)) for i in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def assert_one_success(results: list[tuple[int, dict]], refusal_codes: set[str]) -> None:
    statuses = Counter(status for status, _body in results)
    assert statuses[200] == 1, statuses
    assert not [s for s in statuses if s >= 500], statuses
    refusals = [body for status, body in results if status != 200]
    assert len(refusals) == REQUESTS - 1
    for status, body in results:
        if status == 200:
            continue
        assert 400 <= status < 500, (status, body)
        assert body.get("ok") is False and body.get("message"), body
        assert body.get("code") in refusal_codes, body


def test_fifty_simultaneous_draws_of_one_position_reveal_it_once(
    hall_server, drawing_session, operator, other_operator
):
    cookies = [cookie_for(operator), cookie_for(other_operator)]
    path = f"/staff/lottery/{drawing_session.code}/draw/"
    results = post_all(hall_server, path, cookies, [("expected_position", "1")])
    assert_one_success(results, {"already_drawn"})
    assert list(
        Reveal.objects.filter(session=drawing_session).values_list("position", flat=True)
    ) == [1]


def test_fifty_simultaneous_picks_of_one_apartment_give_it_once(
    hall_server, choose_session, operator, other_operator
):
    from lottery.selectors.sessions import session_state
    from lottery.services.draws import lottery_draw_next

    # Draw up to the first household, whose pick it then is.
    state = session_state(choose_session, public=False)
    while state["next"] and (state["next_picker"] is None or not state["next_picker"]["revealed"]):
        lottery_draw_next(
            actor=operator, session=choose_session, expected_position=state["next"]["position"]
        )
        choose_session.refresh_from_db()
        state = session_state(choose_session, public=False)
    picker = state["next_picker"]
    wanted, codes = dict(picker["demand"]), []
    for apartment in picker["free_apartments"]:
        if wanted.get(apartment["type"], 0) > 0:
            wanted[apartment["type"]] -= 1
            codes.append(apartment["code"])

    cookies = [cookie_for(operator), cookie_for(other_operator)]
    path = f"/staff/lottery/{choose_session.code}/pick/"
    data = [("household", picker["household"]), ("expected_sequence", str(picker["sequence"]))]
    data += [("apartments", code) for code in codes]
    results = post_all(hall_server, path, cookies, data)
    assert_one_success(results, {"already_picked", "apartment_taken", "not_revealed"})
    assert sorted(
        Allocation.objects.filter(session=choose_session).values_list("apartment__code", flat=True)
    ) == sorted(codes)
