"""Failed logins are throttled per account and per client address (django-axes): after
`HELPDESK_LOGIN_FAILURE_LIMIT` failures even the right password is refused, with a message
that says how long to wait, until the window has passed; admins see every failure."""

import time
from datetime import timedelta

import pytest

RIGHT = "pass-word-123"


@pytest.fixture(autouse=True)
def short_window(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(seconds=2)


def log_in(client, email, password, *, address="10.1.1.1", path="/login/", **headers):
    return client.post(
        path, {"username": email, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_twelve_wrong_passwords_lock_the_account_and_the_right_one_waits_for_the_window(
    client, agent
):
    answers = [log_in(client, agent.email, f"wrong-{n}").status_code for n in range(12)]

    assert answers[:4] == [200] * 4  # the form again, "do not match"
    assert set(answers[5:]) == {429}
    refused = log_in(client, agent.email, RIGHT)
    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Too many failed attempts to log in" in text
    assert "Try again in 2 seconds" in text
    assert not logged_in(client)

    time.sleep(2.2)
    accepted = log_in(client, agent.email, RIGHT)
    assert accepted.status_code == 302 and accepted["Location"] == "/tickets/"
    assert logged_in(client)


def test_an_account_is_locked_whatever_address_the_attempts_come_from(client, agent):
    for n in range(5):
        log_in(client, agent.email.upper(), "wrong", address=f"10.2.0.{n + 1}")

    refused = log_in(client, agent.email, RIGHT, address="10.2.0.99")

    assert refused.status_code == 429 and not logged_in(client)


def test_an_address_is_locked_whatever_accounts_it_tries(client, agent, db):
    for n in range(5):
        log_in(client, f"guess{n}@desk.example", "wrong", address="10.3.0.1")

    assert log_in(client, agent.email, RIGHT, address="10.3.0.1").status_code == 429
    assert not logged_in(client)
    assert log_in(client, agent.email, RIGHT, address="10.3.0.2").status_code == 302
    assert logged_in(client)


def test_a_success_before_the_limit_starts_the_count_again(client, agent):
    for _ in range(4):
        log_in(client, agent.email, "wrong")
    assert log_in(client, agent.email, RIGHT).status_code == 302
    client.logout()

    for _ in range(4):
        assert log_in(client, agent.email, "wrong").status_code == 200
    assert log_in(client, agent.email, RIGHT).status_code == 302
    client.logout()
    for _ in range(5):
        log_in(client, agent.email, "wrong")
    assert log_in(client, agent.email, RIGHT).status_code == 429


def test_the_lockout_message_is_in_russian_for_a_russian_browser(client, agent, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    for _ in range(5):
        log_in(client, agent.email, "wrong", HTTP_ACCEPT_LANGUAGE="ru")

    refused = log_in(client, agent.email, RIGHT, HTTP_ACCEPT_LANGUAGE="ru")

    assert refused.status_code == 429
    text = refused.content.decode()
    assert "Слишком много неудачных попыток входа" in text
    assert "Попробуйте снова через 15 минут" in text


def test_the_admin_login_page_is_throttled_too(client, admin_user):
    admin = admin_user
    for _ in range(5):
        log_in(client, admin.email, "wrong", path="/admin/login/")

    refused = log_in(client, admin.email, RIGHT, path="/admin/login/")

    assert refused.status_code == 429
    assert "Too many failed attempts to log in" in refused.content.decode()
    assert not logged_in(client)


def test_admins_see_the_failed_and_locked_attempts(client, agent, admin_user):
    for _ in range(6):
        log_in(client, agent.email, "wrong", address="10.4.0.7")
    client.force_login(admin_user)

    failures = client.get("/admin/axes/accessfailurelog/")
    locked = client.get("/admin/axes/accessattempt/")

    assert failures.status_code == 200 and locked.status_code == 200
    for page in (failures, locked):
        text = page.content.decode()
        assert agent.email in text and "10.4.0.7" in text
