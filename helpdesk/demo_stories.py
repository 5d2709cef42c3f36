"""The stories the demo tells (see shared/SCENARIOS.md), in Russian and English."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.utils import timezone

from comments.services import comment_and_hand_back, comment_create
from tickets import services
from tickets.models import Channel, Customer, IdentityKind, Priority, Status

EMAIL, TELEGRAM, VIBER, WEB, PHONE = (
    Channel.EMAIL, Channel.TELEGRAM, Channel.VIBER, Channel.WEB, Channel.PHONE,
)  # fmt: skip
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def backpack(desk, say, messenger_reply, age):
    """Scenario 1: the backpack that was 5 % off instead of 10 %."""
    t = say(TELEGRAM, IdentityKind.TELEGRAM, "5551234567", "Марина Соколова",
            "Здравствуйте! На сайте рюкзак Urban 25L был со скидкой 10%, я оплатила картой, "
            "а списали со скидкой 5%. Это обман? Верните разницу!",
            language="ru", display="@marina_sokolova")  # fmt: skip
    age(t, minutes=6)
    services.ticket_assign(ticket=t, owner=desk.vasya, by=desk.vasya)
    services.ticket_set_tags(ticket=t, by=desk.vasya, add=["refund", "promo"])
    services.ticket_set_priority(ticket=t, priority="high", by=desk.vasya)
    age(t, minutes=4)
    services.ticket_hand_off(
        ticket=t, by=desk.vasya, to_user=desk.dima,
        note="Дима, был ли показан бейдж −10% для SKU URB-25L 14 ноября? "
             "Клиентка говорит, что видела его на карточке товара.",
    )  # fmt: skip
    comment_create(
        ticket=t,
        by=desk.vasya,
        text="@olga, проверь, пожалуйста, сколько списали по заказу 48213 (карта, 14.11).",
    )
    age(t, minutes=50)
    comment_create(
        ticket=t,
        by=desk.olga,
        text="Списано 4 275 ₽ — это цена со скидкой 5%. Скидка 10% к заказу не применилась.",
    )
    age(t, minutes=65)
    comment_and_hand_back(
        ticket=t, by=desk.dima,
        text="Бейдж −10% показывался на карточке с 12 по 15 ноября, но правило акции в корзине "
             "было настроено на 5% — ошибка в настройке, уже исправили. Разница на нашей стороне.",
    )  # fmt: skip
    age(t, minutes=12)
    messenger_reply(t, desk.vasya,
                    "Марина, добрый день! Вы правы: на сайте была ошибка в настройке акции. "
                    "Мы вернём разницу 225 ₽ на вашу карту в течение 3 рабочих дней. "
                    "Приносим извинения!")  # fmt: skip
    age(t, minutes=9)
    say(
        TELEGRAM,
        IdentityKind.TELEGRAM,
        "5551234567",
        "Марина Соколова",
        "Спасибо, что разобрались! Жду возврат 🙏",
    )
    age(t, minutes=3)
    services.ticket_set_status(ticket=t, status=Status.SOLVED, by=desk.vasya)
    age(t, days=9)


def friday_evening(desk, say, messenger_reply, age):
    """Scenario 2: an email on Friday at 17:30, waiting for Monday."""
    t = say(EMAIL, IdentityKind.EMAIL, "tatiana.belova@example.ru", "Татьяна Белова",
            "Добрый вечер! Третий раз пытаюсь войти в личный кабинет — код подтверждения по SMS "
            "не приходит. Номер +7 916 555-12-34. Что делать?",
            subject="Не приходит код подтверждения", language="ru")  # fmt: skip
    now = timezone.now().astimezone(MOSCOW)
    friday = now - timedelta(days=(now.weekday() - 4) % 7 or 7)
    sent = datetime(friday.year, friday.month, friday.day, 17, 30, tzinfo=MOSCOW)
    age(t, seconds=(timezone.now() - sent).total_seconds())


def one_customer_many_channels(desk, say, messenger_reply, age):
    """Scenario 4: email last month, Viber last week, Telegram today: one customer."""
    first = say(
        EMAIL,
        IdentityKind.EMAIL,
        "elena.orlova@example.com",
        "Elena Orlova",
        "Hello, my order #51022 was due yesterday and the tracking has not moved "
        "for four days. Could you check?",
        subject="Where is my order?",
        language="en",
    )
    services.ticket_reply(ticket=first, by=desk.kate,
                          text="Hi Elena, the courier lost a scan; the parcel is on its way and "
                               "will arrive tomorrow. Sorry for the worry!")  # fmt: skip
    services.ticket_set_status(ticket=first, status=Status.SOLVED, by=desk.kate)
    age(first, days=31)
    second = say(
        VIBER,
        IdentityKind.VIBER,
        "01234567890A=",
        "Елена",
        "Здравствуйте! Хочу вернуть платье, не подошёл размер. Как оформить возврат?",
    )
    messenger_reply(second, desk.anna,
                    "Елена, здравствуйте! Оформите возврат в личном кабинете, курьер заберёт "
                    "платье бесплатно.")  # fmt: skip
    services.ticket_set_status(ticket=second, status=Status.SOLVED, by=desk.anna)
    age(second, days=7)
    third = say(TELEGRAM, IdentityKind.TELEGRAM, "7770001112", "Elena O.",
                "Hi again! Can I exchange the dress for a bigger size instead of a refund?",
                display="@elena_orlova")  # fmt: skip
    age(third, minutes=40)
    keep = first.customer
    for other in {second.customer_id, third.customer_id} - {keep.pk}:
        services.customer_merge(source=Customer.objects.get(pk=other), into=keep, by=desk.anna)


def english_queue(desk, say, messenger_reply, age):
    damaged = say(EMAIL, IdentityKind.EMAIL, "john.carter@example.com", "John Carter",
                  "The box was crushed and the lamp inside is broken. Order #48790.",
                  subject="Order #48790 arrived damaged", language="en")  # fmt: skip
    services.ticket_reply(ticket=damaged, by=desk.kate, status=Status.PENDING,
                          text="I'm sorry, John! Could you send a photo of the lamp and the box? "
                               "We'll ship a replacement right away.")  # fmt: skip
    age(damaged, days=2)

    reset = say(WEB, IdentityKind.EMAIL, "lisa.wong@example.com", "Lisa Wong",
                "The password reset link says it expired, but I requested it a minute ago.",
                subject="Password reset link expired", language="en")  # fmt: skip
    services.ticket_reply(
        ticket=reset,
        by=desk.anna,
        status=Status.SOLVED,
        text="Hi Lisa, we fixed the clock on our side; a new link works now.",
    )
    age(reset, days=3)

    phone = services.customer_find_or_create(
        kind=IdentityKind.PHONE, value="+420 601 234 567", name="Peter Novak"
    )[0]
    call = services.ticket_create(
        by=desk.kate, customer=phone, channel=PHONE, subject="Wrong size sent",
        text="Called: ordered size 42 shoes, got 44. Wants an exchange, not a refund.",
        assignee=desk.kate, tags=["exchange"],
    ).ticket  # fmt: skip
    comment_create(
        ticket=call,
        by=desk.kate,
        text="Warehouse confirmed the mix-up; exchange parcel sent with courier.",
    )
    services.ticket_set_status(ticket=call, status=Status.SOLVED, by=desk.kate)
    services.ticket_set_status(ticket=call, status=Status.CLOSED, by=desk.kate)
    age(call, days=20)

    shipping = say(EMAIL, IdentityKind.EMAIL, "aidar@example.kz", "Aidar Nurlanov",
                   "Do you ship to Almaty, Kazakhstan? How long does it take?",
                   subject="Do you ship to Kazakhstan?", language="en")  # fmt: skip
    age(shipping, minutes=25)


def russian_queue(desk, say, messenger_reply, age):
    invoice = say(EMAIL, IdentityKind.EMAIL, "buh@romashka.example.ru", "ООО «Ромашка»",
                  "Добрый день! Нужен счёт на юрлицо для заказа №50117, реквизиты во вложении "
                  "письма от 12.11.", subject="Счёт на юрлицо", language="ru")  # fmt: skip
    services.ticket_hand_off(
        ticket=invoice,
        by=desk.vasya,
        to_group=desk.groups["billing"],
        note="Нужен счёт на юрлицо, это к биллингу.",
    )
    services.ticket_assign(ticket=invoice, owner=desk.irina, by=desk.irina)
    services.ticket_hand_off(
        ticket=invoice,
        by=desk.irina,
        to_user=desk.olga,
        note="Ольга, можем ли выставить счёт задним числом на 12.11?",
    )
    services.ticket_set_status(ticket=invoice, status=Status.ON_HOLD, by=desk.irina)
    age(invoice, days=1, hours=3)

    refund = say(
        VIBER,
        IdentityKind.VIBER,
        "98765ZYXWV+/=",
        "Игорь",
        "Деньги за отменённый заказ так и не вернулись, прошло 10 дней!!!",
    )
    services.ticket_set_priority(ticket=refund, priority=Priority.URGENT, by=desk.anna)
    services.ticket_hand_off(
        ticket=refund,
        by=desk.anna,
        to_group=desk.groups["tier2"],
        note="Возврат не дошёл за 10 дней, нужна проверка платежа.",
    )
    services.ticket_assign(ticket=refund, owner=desk.sergey, by=desk.sergey)
    comment_create(
        ticket=refund,
        by=desk.sergey,
        text="Платёж в статусе «возврат инициирован» у эквайера. @olga, посмотри выписку?",
    )
    age(refund, hours=5)

    for text, name, channel, kind, value, subject in [
        ("Можно ли оплатить заказ частями?", "Кирилл", TELEGRAM, IdentityKind.TELEGRAM,
         "4440002223", ""),
        ("Промокод AUTUMN10 пишет «недействителен», хотя срок до конца месяца.", "Светлана Ким",
         WEB, IdentityKind.EMAIL, "svetlana.kim@example.ru", "Промокод не работает"),
    ]:  # fmt: skip
        ticket = say(channel, kind, value, name, text, subject=subject, language="ru")
        age(ticket, minutes=15)

    first = say(
        EMAIL,
        IdentityKind.EMAIL,
        "nikolay.p@example.ru",
        "Николай Петров",
        "Где мой заказ 50321? Обещали вчера.",
        subject="Где мой заказ?",
    )
    duplicate = say(
        EMAIL,
        IdentityKind.EMAIL,
        "nikolay.p@example.ru",
        "Николай Петров",
        "Повторяю вопрос: где заказ 50321?!",
        subject="Где заказ 50321",
    )
    services.ticket_merge(source=duplicate, into=first, by=desk.anna)
    services.ticket_reply(
        ticket=first,
        by=desk.anna,
        text="Николай, заказ 50321 передан курьеру, доставка сегодня до 18:00.",
    )
    age(first, hours=20)
    age(duplicate, hours=20)


def tell_all(desk, *, say, messenger_reply, age) -> None:
    for story in (backpack, friday_evening, one_customer_many_channels, english_queue,
                  russian_queue):  # fmt: skip
        story(desk, say, messenger_reply, age)
