"""Sign-in limits: per account from any address, per address counting failures only, and the
address read through a configured number of trusted proxies."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories as make
from tests.factories import PASSWORD, csrf_token

WAIT = re.compile(r"Try again in (\d+) (second|seconds|minute|minutes)\.")


def attempt(client: FlaskClient, email: str, password: str, address: str,
            forwarded: str | None = None):
    token = csrf_token(client, "/sign-in")
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post("/sign-in", data={"email": email, "password": password,
                                         "csrf_token": token},
                       environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_wrong_passwords_from_many_addresses_lock_the_account(app: Flask) -> None:
    victim = make.on(app).user("admin")
    statuses, pages = [], []
    for n in range(30):
        response = attempt(app.test_client(), victim.email, "not the password", f"127.0.0.{n + 1}")
        statuses.append(response.status_code)
        pages.append(response.get_data(as_text=True))
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429] * 20
    assert "This account is locked for now" in pages[10]
    wait = WAIT.search(pages[10])
    assert wait and 1 <= int(wait.group(1)) <= 60
    # the owner, from a fresh address, is locked out too until the wait is over
    locked = attempt(app.test_client(), victim.email, PASSWORD, "192.0.2.77")
    assert locked.status_code == 429
    # another account is not affected
    other = make.on(app).user("qi_manager")
    assert attempt(app.test_client(), other.email, PASSWORD, "192.0.2.78").status_code == 302


def test_successful_sign_ins_do_not_use_up_the_address_limit(app: Flask, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "5 per minute")
    people = [make.on(app).user("qi_manager") for _ in range(2)]
    for round_ in range(3):
        for person in people:
            response = attempt(app.test_client(), person.email, PASSWORD, "198.51.100.9")
            assert response.status_code == 302, (round_, person.email)
    failures = [attempt(app.test_client(), f"guess{n}@example.org", "wrong", "198.51.100.9")
                for n in range(6)]
    assert [r.status_code for r in failures] == [200] * 5 + [429]
    page = failures[-1].get_data(as_text=True)
    assert "too many failed sign-in attempts from your network" in page
    assert WAIT.search(page)
    # a neighbouring address is still served
    assert attempt(app.test_client(), people[0].email, PASSWORD,
                   "198.51.100.10").status_code == 302


@pytest.mark.parametrize("proxies", [0, 1])
def test_forwarded_address_counts_only_behind_trusted_proxies(app: Flask, monkeypatch,
                                                              proxies: int) -> None:
    monkeypatch.setitem(app.config, "TRUSTED_PROXIES", proxies)
    monkeypatch.setitem(app.config, "LOGIN_ADDRESS_RATE_LIMIT", "3 per minute")
    proxy = "10.0.0.2"
    for n in range(3):
        response = attempt(app.test_client(), f"someone{n}@example.org", "wrong", proxy,
                           forwarded="203.0.113.5")
        assert response.status_code == 200
    same_person = attempt(app.test_client(), "someone9@example.org", "wrong", proxy,
                          forwarded="203.0.113.5")
    other_person = attempt(app.test_client(), "another@example.org", "wrong", proxy,
                           forwarded="203.0.113.6")
    assert same_person.status_code == 429
    # behind a trusted proxy the forwarded address decides; with none, the header is ignored
    # (so it cannot be forged to dodge the limit) and everyone behind the proxy is one address
    assert other_person.status_code == (200 if proxies else 429)
