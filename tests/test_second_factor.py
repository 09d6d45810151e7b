"""A second factor for staff: set up from the account page, then needed at sign-in; wrong
codes refused and limited; recovery codes work once; required by role when switched on."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pyotp
from sqlalchemy import select

from qa_app.auth.second_factor_models import RecoveryCode, SecondFactor
from qa_app.extensions import db
from tests import factories as make
from tests.factories import csrf_token, sign_in

RECOVERY = re.compile(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>")


@contextmanager
def setting(app, name: str, value: object):
    old = app.config.get(name)
    app.config[name] = value
    try:
        yield
    finally:
        app.config[name] = old


def _set_up(client) -> tuple[pyotp.TOTP, list[str]]:
    page = client.get("/account/second-factor").get_data(as_text=True)
    key = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert "otpauth://totp/" in page
    totp = pyotp.TOTP(key)
    done = client.post("/account/second-factor", data={
        "csrf_token": csrf_token(client, "/account/second-factor"), "code": totp.now(),
        "password": make.PASSWORD})
    html = done.get_data(as_text=True)
    assert "Authenticator app turned on" in html, html
    codes = RECOVERY.findall(html)
    assert len(codes) == 10 and len(set(codes)) == 10
    return totp, codes


def _sign_out(client) -> None:
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account/")})


def _enter(client, code: str):
    token = csrf_token(client, "/sign-in/code")
    return client.post("/sign-in/code", data={"csrf_token": token, "code": code})


def _signed_in(client) -> bool:
    return client.get("/account/").status_code == 200


def _next_code(totp: pyotp.TOTP) -> str:
    """The app's code for the next 30-second step: accepted (one step of clock drift is
    allowed) and not the one already used to set up."""
    return totp.at(time.time() + 30)


def test_set_up_from_the_account_page(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    account = client.get("/account/").get_data(as_text=True)
    assert "Set up an authenticator app" in account
    page = client.get("/account/second-factor").get_data(as_text=True)
    key = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    totp = pyotp.TOTP(key)
    wrong = client.post("/account/second-factor", data={
        "csrf_token": csrf_token(client, "/account/second-factor"), "code": "000000",
        "password": make.PASSWORD})
    assert "The code is not correct" in wrong.get_data(as_text=True)
    no_password = client.post("/account/second-factor", data={
        "csrf_token": csrf_token(client, "/account/second-factor"), "code": totp.now(),
        "password": "not my password"})
    assert "Your password is not correct" in no_password.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SecondFactor, manager.id).confirmed_at is None
    done = client.post("/account/second-factor", data={
        "csrf_token": csrf_token(client, "/account/second-factor"), "code": totp.now(),
        "password": make.PASSWORD})
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert len(codes) == 10
    with app.app_context():
        stored = db.session.execute(select(RecoveryCode.code_hash)).scalars().all()
        assert len(stored) == 10
        assert not {c.replace("-", "") for c in codes} & set(stored)
        assert all(len(h) == 64 for h in stored)
    account = client.get("/account/").get_data(as_text=True)
    assert "You have 10 unused recovery codes" in account
    assert not RECOVERY.search(account)  # shown once only


def test_sign_in_needs_the_code(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    totp, _ = _set_up(client)
    _sign_out(client)
    response = sign_in(client, manager.email)
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/code")
    assert not _signed_in(client)
    page = client.get("/sign-in/code").get_data(as_text=True)
    assert "Enter the code from your authenticator app" in page
    entered = _enter(client, _next_code(totp))
    assert entered.status_code == 302
    assert _signed_in(client)


def test_a_code_is_not_accepted_twice(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    totp, _ = _set_up(client)
    code = _next_code(totp)
    _sign_out(client)
    sign_in(client, manager.email)
    assert _enter(client, code).status_code == 302
    _sign_out(client)
    sign_in(client, manager.email)
    again = _enter(client, code)
    assert "The code is not correct" in again.get_data(as_text=True)
    assert not _signed_in(client)


def test_a_wrong_code_is_refused_and_limited(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _set_up(client)
    _sign_out(client)
    sign_in(client, manager.email)
    for _ in range(5):
        wrong = _enter(client, "123456")
        assert wrong.status_code == 200
        assert "The code is not correct" in wrong.get_data(as_text=True)
        assert not _signed_in(client)
    # the limit is per account, so a new browser does not reset it
    other = app.test_client()
    sign_in(other, manager.email)
    limited = _enter(other, "654321")
    assert limited.status_code == 429
    assert "Too many wrong codes" in limited.get_data(as_text=True)


def test_the_password_alone_does_not_reach_the_code_step_late(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    totp, _ = _set_up(client)
    _sign_out(client)
    sign_in(client, manager.email)
    token = csrf_token(client, "/sign-in/code")
    with client.session_transaction() as stored:
        stored["second_factor_since"] -= 301
    response = client.post("/sign-in/code", data={"csrf_token": token,
                                                  "code": _next_code(totp)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    assert not _signed_in(client)


def test_a_recovery_code_works_once(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _, codes = _set_up(client)
    _sign_out(client)
    sign_in(client, manager.email)
    used = _enter(client, codes[3].upper().replace("-", " "))
    assert used.status_code == 302
    home = client.get(used.headers["Location"]).get_data(as_text=True)
    assert "You used a recovery code. You have 9 left" in home
    _sign_out(client)
    sign_in(client, manager.email)
    again = _enter(client, codes[3])
    assert "The code is not correct" in again.get_data(as_text=True)
    assert not _signed_in(client)
    assert _enter(client, codes[4]).status_code == 302 and _signed_in(client)


def test_turning_it_off_needs_the_password(app, client):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _set_up(client)
    path = "/account/second-factor/turn-off"
    wrong = client.post(path, data={"csrf_token": csrf_token(client, path), "password": "nope"})
    assert "Your password is not correct" in wrong.get_data(as_text=True)
    client.post(path, data={"csrf_token": csrf_token(client, path), "password": make.PASSWORD})
    _sign_out(client)
    assert sign_in(client, manager.email).headers["Location"].endswith("/")
    assert _signed_in(client)
    with app.app_context():
        assert db.session.execute(select(RecoveryCode)).first() is None


def test_required_by_role_when_the_setting_is_on(app, client):
    agency = make.on(app).agency("Community Paediatrics")
    people = {role: make.on(app).user(role, agency.name if role in {"auditor", "agency_lead"}
                                      else None).email
              for role in ("admin", "qi_manager", "panel_chair", "auditor", "agency_lead")}
    with setting(app, "SECOND_FACTOR_REQUIRED", True):
        for role, email in people.items():
            browser = app.test_client()
            sign_in(browser, email)
            response = browser.get("/rates")
            if role in {"admin", "qi_manager", "panel_chair"}:
                assert response.status_code == 302, role
                assert response.headers["Location"].endswith("/account/second-factor"), role
                page = browser.get("/account/second-factor").get_data(as_text=True)
                assert "Your role needs a second factor" in page
            else:
                assert response.status_code == 200, role
        chair = app.test_client()
        sign_in(chair, people["panel_chair"])
        _set_up(chair)
        assert chair.get("/rates").status_code == 200


def test_the_demo_default_signs_in_with_a_password_alone(app, client):
    assert app.config["SECOND_FACTOR_REQUIRED"] is False
    admin = make.on(app).user("admin")
    sign_in(client, admin.email)
    assert client.get("/rates").status_code == 200


def test_an_administrator_can_reset_a_lost_authenticator(app, client, runner):
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _set_up(client)
    _sign_out(client)
    result = runner.invoke(["users", "reset-second-factor", "--email", manager.email])
    assert result.exit_code == 0, result.output
    assert "Turned off the authenticator app" in result.output
    response = sign_in(client, manager.email)
    assert not response.headers["Location"].endswith("/sign-in/code")
    assert _signed_in(client)
    missing = runner.invoke(["users", "reset-second-factor", "--email", "nobody@example.org"])
    assert missing.exit_code != 0 and "No user with email" in missing.output


def test_wrong_passwords_to_turn_it_off_are_limited(app, client):
    """Someone at an unlocked screen cannot guess the password on the turn-off page without
    limit: wrong passwords there count like wrong codes on the set-up page."""
    manager = make.on(app).user("qi_manager")
    sign_in(client, manager.email)
    _set_up(client)
    path = "/account/second-factor/turn-off"
    for _ in range(5):
        wrong = client.post(path, data={"csrf_token": csrf_token(client, path),
                                        "password": "guess"})
        assert "Your password is not correct" in wrong.get_data(as_text=True)
    limited = client.post(path, data={"csrf_token": csrf_token(client, path),
                                      "password": make.PASSWORD})
    assert limited.status_code == 429
    with app.app_context():
        assert db.session.execute(select(SecondFactor)).first() is not None
