"""The IMAP test harness itself: a real Dovecot per test, on its own port and store."""

from __future__ import annotations

import imaplib
import socket
from datetime import UTC, datetime

import pytest

from tests.imap_server import DEFAULT_LOGINS, DovecotError, DovecotServer, dovecot_fixture

USER = DEFAULT_LOGINS[0]


def message(subject: str = "Backpack discount", body: str = "Где моя скидка?") -> bytes:
    return (
        f"From: Marina Sokolova <marina@mail.example>\r\n"
        f"To: {USER}\r\n"
        f"Subject: {subject}\r\n"
        f"Message-ID: <{abs(hash(subject))}@mail.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"{body}\r\n"
        ".leading dot and trailing spaces   \r\n"
    ).encode()


@pytest.fixture
def server():
    yield from dovecot_fixture()


def client_for(server: DovecotServer, login: str = USER) -> imaplib.IMAP4:
    host, port = server.address
    client = imaplib.IMAP4(host, port, timeout=10)
    client.login(login, server.users[login])
    return client


def test_login_with_plain_text_password_and_wrong_password_refused(server):
    client = client_for(server)
    assert client.state == "AUTH"
    client.logout()

    other = imaplib.IMAP4(*server.address, timeout=10)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        other.login(USER, "not the password")
    other.logout()


def test_append_then_fetch_returns_the_bytes_unchanged(server):
    raw = message()
    uid = server.deliver(USER, raw, flags=("\\Flagged", "$Label1"))

    client = client_for(server)
    client.select("INBOX")
    status, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    client.logout()

    assert status == "OK"
    assert data[0][1] == raw
    assert server.fetch(USER, uid) == raw
    assert server.flags(USER, uid) == {"\\Flagged", "$Label1"}


def test_uids_increase_and_folders_are_created_on_delivery(server):
    uids = [server.deliver(USER, message(f"n{n}")) for n in range(3)]
    archived = server.deliver(USER, message("old"), folder="Archive", flags=["\\Seen"])

    assert uids == sorted(uids)
    assert len(set(uids)) == 3
    assert server.uids(USER) == uids
    assert server.message_count(USER) == 3
    assert server.message_count(USER, "Archive") == 1
    assert server.flags(USER, archived, "Archive") == {"\\Seen"}
    assert server.message_count(DEFAULT_LOGINS[1]) == 0  # users have their own stores


def test_seen_set_by_a_client_is_what_flags_reports(server):
    uid = server.deliver(USER, message())
    assert server.flags(USER, uid) == frozenset()

    client = client_for(server)
    client.select("INBOX")
    client.uid("STORE", str(uid), "+FLAGS", "(\\Seen)")
    client.logout()

    assert server.flags(USER, uid) == {"\\Seen"}
    assert server.status(USER)["UNSEEN"] == 0


@pytest.mark.parametrize("folder", ["INBOX", "Support Queue"])
def test_reset_uidvalidity_recreates_the_folder(server, folder):
    date = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    first = server.deliver(USER, message("one"), folder, flags=["\\Seen"], internaldate=date)
    server.deliver(USER, message("two"), folder)
    before = server.uidvalidity(USER, folder)

    after = server.reset_uidvalidity(USER, folder)

    assert after != before
    assert server.uidvalidity(USER, folder) == after
    assert server.uids(USER, folder) == [1, 2]  # numbered afresh, old order kept
    assert server.fetch(USER, 1, folder) == message("one")
    assert server.fetch(USER, 2, folder) == message("two")
    assert server.flags(USER, 1, folder) == {"\\Seen"}
    assert first == 1

    emptied = server.reset_uidvalidity(USER, folder, keep_messages=False)

    assert emptied not in (before, after)
    assert server.message_count(USER, folder) == 0
    assert server.deliver(USER, message("three"), folder) == 1  # a UID a naive poller had seen


def test_restart_keeps_messages_flags_uids_and_port(server):
    uids = [server.deliver(USER, message(f"n{n}"), flags=["\\Seen"] * (n % 2)) for n in range(3)]
    uidvalidity = server.uidvalidity(USER)
    address = server.address

    server.restart()

    assert server.address == address
    assert server.uidvalidity(USER) == uidvalidity
    assert server.uids(USER) == uids
    assert [server.fetch(USER, uid) for uid in uids] == [message(f"n{n}") for n in range(3)]
    assert server.flags(USER, uids[1]) == {"\\Seen"}
    assert server.deliver(USER, message("after")) == uids[-1] + 1


def test_hard_restart_mid_session_cuts_the_client_and_loses_nothing(server):
    uids = [server.deliver(USER, message(f"n{n}")) for n in range(2)]
    client = client_for(server)
    client.select("INBOX")
    client.uid("STORE", str(uids[0]), "+FLAGS", "(\\Seen)")

    server.restart(hard=True)

    with pytest.raises((imaplib.IMAP4.abort, OSError)):
        client.uid("FETCH", str(uids[1]), "(BODY.PEEK[])")
    client.shutdown()
    assert server.uids(USER) == uids
    assert server.flags(USER, uids[0]) == {"\\Seen"}
    assert server.fetch(USER, uids[1]) == message("n1")


def test_add_user_and_change_a_password_while_running(server):
    server.deliver(USER, message())  # Dovecot has just read its users: the next read waits
    server.add_user("late@desk.example", 'p:ss w"rd')
    client = client_for(server, "late@desk.example")
    client.logout()
    assert server.deliver("late@desk.example", message()) == 1

    old_password = server.users[USER]
    server.add_user(USER, "a new password")

    client_for(server).logout()
    refused = imaplib.IMAP4(*server.address, timeout=10)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        refused.login(USER, old_password)
    refused.logout()


def test_instances_are_isolated_and_stop_cleans_up():
    with (
        DovecotServer({"a@x.example": "one"}) as first,
        DovecotServer({"a@x.example": "two"}) as two,
    ):
        assert first.address != two.address
        assert first.directory != two.directory
        first.deliver("a@x.example", message())
        assert two.message_count("a@x.example") == 0
        directory, port = first.directory, first.port

    assert not directory.exists()
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens there any more


def test_a_bad_config_fails_loudly_with_the_log():
    server = DovecotServer(extra_config="no_such_setting_here = 1")
    with pytest.raises(
        DovecotError, match=r"(?s)exited with status 89.*Unknown setting: no_such_setting_here"
    ):
        server.start()
    server.stop()
