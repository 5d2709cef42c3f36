"""Merging the tickets of two customers, in a real browser: the dialog asks first, and the
merged-away customer's status page shows only their own ticket, marked merged."""

from __future__ import annotations

import pytest

from channels_inbound.status_links import status_url
from tests.e2e.conftest import screenshot
from tests.e2e.stories import customer_writes
from tests.factories import GroupFactory, UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "en": {
        "summary": "Merge into another ticket",
        "merge": "Merge",
        "warning": "belong to different customers",
        "box": "They belong to different customers: merge anyway",
        "merged": "Merged with another request and closed",
    },
    "ru": {
        "summary": "Объединить с другим обращением",
        "merge": "Объединить",
        "warning": "принадлежат разным клиентам",
        "box": "Это разные клиенты: всё равно объединить",
        "merged": "Объединено с другим обращением и закрыто",
    },
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_merging_two_customers_tickets_asks_first_and_keeps_each_thread_apart(page_for, lang):
    # Given: Alice's and Bob's tickets, and an agent of their desk on Alice's.
    words = WORDS[lang]
    support = GroupFactory(name="Support")
    agent = UserFactory(full_name="Vasya Pupkin", groups=[support])
    alice = customer_writes(text="ALICE: my parcel is late", sender="alice@mail.example",
                            name="Alice Alisova", subject="Parcel", group=support)  # fmt: skip
    bob = customer_writes(text="BOB: my invoice is wrong", sender="bob@mail.example",
                          name="Bob Bobrov", subject="Invoice 9931", group=support)  # fmt: skip
    page = page_for(agent, lang)
    page.goto(f"/tickets/{alice.number}/")

    # When: they merge it into Bob's without ticking anything.
    page.get_by_text(words["summary"]).click()
    page.fill("#merge-into", str(bob.number))
    with page.expect_navigation():
        page.locator("details.merge button").click()

    # Then: the dialog stays open with the warning and a box to confirm; nothing is merged.
    assert words["warning"] in page.inner_text("#merge-warning")
    assert page.locator("#merge-into").input_value() == str(bob.number)
    assert page.get_by_label(words["box"]).is_visible()
    assert Ticket.objects.get(pk=alice.pk).merged_into_id is None
    screenshot(page, lang, "merge-different-customers")

    # When: they tick the box and merge.
    page.get_by_label(words["box"]).check()
    with page.expect_navigation():
        page.locator("details.merge button").click()

    # Then: Bob's ticket opens, and Alice's is merged into it.
    assert page.url.endswith(f"/tickets/{bob.number}/")
    assert Ticket.objects.get(pk=alice.pk).merged_into_id == bob.pk

    # When: Alice opens her status link.
    customer = page_for(None, lang)
    customer.goto(status_url(alice.number, "alice@mail.example"))

    # Then: her own ticket, marked merged, her message, nothing of Bob's, no reply box.
    text = customer.inner_text("main")
    assert f"#{alice.number}" in text and words["merged"] in text
    assert "ALICE: my parcel is late" in text
    assert "BOB" not in text and "Bob" not in text and "9931" not in text
    assert customer.locator("textarea").count() == 0
    screenshot(customer, lang, "status-merged-away")
    assert page.js_errors == [] and customer.js_errors == []
