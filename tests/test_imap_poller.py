"""The IMAP poller against a real Dovecot: store before marking seen, never twice, one bad
message never stops the rest, a failing mailbox is marked and retried."""

import pytest

from channels_inbound import mailboxes
from channels_inbound.models import InboundEvent, Mailbox
from tests.email_helpers import raw_email


@pytest.fixture
def mailbox(dovecot, support):
    host, port = dovecot.address
    box = Mailbox(name="Support", address="support@desk.example", group=support,
                  imap_host=host, imap_port=port, imap_security=Mailbox.Security.NONE,
                  imap_login="support@desk.example")  # fmt: skip
    box.imap_password = dovecot.users["support@desk.example"]
    box.save()
    return box


def test_new_mail_is_stored_raw_then_marked_seen(dovecot, mailbox):
    raws = [raw_email(subject=f"Question {n}") for n in range(3)]
    uids = [dovecot.deliver("support@desk.example", raw) for raw in raws]

    result = mailboxes.poll(mailbox_id=mailbox.pk)

    assert result.fetched == 3 and result.error == ""
    events = list(InboundEvent.objects.filter(channel="email").order_by("id"))
    assert [bytes(e.raw) for e in events] == [r.replace(b"\n", b"\r\n") if b"\r\n" not in r else r
                                              for r in raws]  # fmt: skip
    assert all("\\Seen" in dovecot.flags("support@desk.example", uid) for uid in uids)
    mailbox.refresh_from_db()
    assert mailbox.last_uid == uids[-1] and mailbox.uidvalidity == dovecot.uidvalidity(
        "support@desk.example")  # fmt: skip


def test_polling_again_fetches_nothing_twice(dovecot, mailbox):
    dovecot.deliver("support@desk.example", raw_email())
    mailboxes.poll(mailbox_id=mailbox.pk)
    dovecot.deliver("support@desk.example", raw_email(subject="Another"))

    second = mailboxes.poll(mailbox_id=mailbox.pk)

    assert second.fetched == 1 and InboundEvent.objects.count() == 2


def test_a_poller_killed_before_marking_seen_stores_nothing_twice(dovecot, mailbox):
    uid = dovecot.deliver("support@desk.example", raw_email())
    mailboxes.poll(mailbox_id=mailbox.pk)
    # As if the worker died after storing but before recording the UID:
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=uid - 1)

    mailboxes.poll(mailbox_id=mailbox.pk)

    assert InboundEvent.objects.count() == 1


def test_a_restarted_server_mid_poll_loses_and_doubles_nothing(dovecot, mailbox):
    for n in range(3):
        dovecot.deliver("support@desk.example", raw_email(subject=f"Before {n}"))
    mailboxes.poll(mailbox_id=mailbox.pk)
    dovecot.restart(hard=True)
    for n in range(2):
        dovecot.deliver("support@desk.example", raw_email(subject=f"After {n}"))
    _host, port = dovecot.address
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_port=port)

    mailboxes.poll(mailbox_id=mailbox.pk)

    assert InboundEvent.objects.count() == 5


def test_an_oversized_message_is_recorded_and_skipped_not_refetched(dovecot, mailbox, settings):
    settings.HELPDESK_MAX_EMAIL_MB = 1
    big = raw_email(text="x" * (1024 * 1024 + 10))
    dovecot.deliver("support@desk.example", big)
    after = dovecot.deliver("support@desk.example", raw_email(subject="Small"))

    first = mailboxes.poll(mailbox_id=mailbox.pk)
    second = mailboxes.poll(mailbox_id=mailbox.pk)

    assert (first.fetched, first.skipped, second.fetched, second.skipped) == (1, 1, 0, 0)
    failed = InboundEvent.objects.get(status="failed")
    assert "the limit is" in failed.error
    assert "\\Seen" not in dovecot.flags("support@desk.example", after - 1)


def test_a_changed_uidvalidity_starts_over_without_doubling(dovecot, mailbox):
    dovecot.deliver("support@desk.example", raw_email(message_id="<kept@mail.example>"))
    mailboxes.poll(mailbox_id=mailbox.pk)
    dovecot.reset_uidvalidity("support@desk.example", keep_messages=False)
    dovecot.deliver("support@desk.example", raw_email(subject="Fresh"))

    result = mailboxes.poll(mailbox_id=mailbox.pk)

    mailbox.refresh_from_db()
    assert result.fetched == 1 and mailbox.last_uid == 1
    assert mailbox.uidvalidity == dovecot.uidvalidity("support@desk.example")


def test_a_mailbox_that_cannot_log_in_is_marked_and_others_go_on(dovecot, mailbox, support):
    broken = Mailbox(
        name="Billing",
        address="billing@desk.example",
        group=support,
        imap_host=mailbox.imap_host,
        imap_port=mailbox.imap_port,
        imap_security=Mailbox.Security.NONE,
        imap_login="billing@desk.example",
    )
    broken.imap_password = "wrong password"
    broken.save()
    dovecot.deliver("support@desk.example", raw_email())

    bad = mailboxes.poll(mailbox_id=broken.pk)
    good = mailboxes.poll(mailbox_id=mailbox.pk)

    broken.refresh_from_db()
    assert bad.error.startswith("Cannot log in to") and broken.last_error and broken.failing_since
    assert good.fetched == 1
