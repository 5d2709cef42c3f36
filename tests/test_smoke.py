from tests.conftest import inbound
from tickets import services


def test_ingest_then_reply(agent, django_capture_on_commit_callbacks, mailoutbox):
    result = services.ticket_ingest(message=inbound(external_id="<a@x>"))
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_reply(ticket=result.ticket, by=agent, text="We will refund you.")
    assert len(mailoutbox) == 1
