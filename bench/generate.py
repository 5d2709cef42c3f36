"""Fill a database with a realistic helpdesk of N tickets, fast, for load benchmarks.

    .venv/bin/python bench/generate.py \\
        --database-url postgres://postgres@127.0.0.1:5432/helpdesk_bench --tickets 1000000

How it stays fast:

* The schema is the product's own: the database is created if missing and `migrate` runs,
  so the load test meets exactly the tables, indexes and constraints production has.
* The few people and groups are made with the ORM; everything else streams into PostgreSQL
  with COPY. One generator loop writes each ticket's rows (ticket, messages, events,
  comments, participants) into five COPY streams at once; each stream is a file-like object
  that psycopg2's `copy_expert` reads in its own thread and connection while the loop goes
  on, so Python generates on one core while the server parses on the other. Rows carry
  explicit ids (1..n), so foreign keys are known without lookups; the sequences are moved
  past them afterwards.
* Tables are truncated in the same transaction as their COPY, which allows `COPY ... FREEZE`:
  rows land frozen and all-visible, and need no vacuum before the benchmark.
* Before loading, every non-primary-key index and every foreign key of the loaded tables is
  dropped (their SQL read from the catalog and kept); afterwards the indexes are rebuilt two
  at a time and the foreign keys added NOT VALID and then validated, so the result is
  identical to a normal migrate.
* The search vector is computed as the product computes it: `to_tsvector('russian', ...)`
  over the subject, the customer's name and identities and every message text. Tickets go
  into an UNLOGGED staging table with one extra column holding that text, and two
  concurrent `INSERT ... SELECT to_tsvector(...)` move one half each into tickets_ticket.

The data: two years of tickets that grow busier over time with a daily and weekly rhythm;
ticket numbers from 1000 rising with the creation time; a status mix of a real desk where
what is unsolved is mostly recent; Russian and English subjects and messages built from
fragments and numbers. Everything comes from `random.Random(--seed)`: same seed, same
database. A run that finds a finished database with enough tickets only prints its fixtures.
At the end the script prints one `BENCH-FIXTURES {json}` line with known objects the load
test uses (agent01's open ticket with exactly 5 messages and 3 internal comments, ...).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import queue
import random
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = "bench-password"  # noqa: S105 - a benchmark login, printed on purpose
MARKER = "bench/generate.py"
HISTORY_DAYS = 730
NULL = "\\N"
NL = "\\n"  # a newline inside a COPY text-format field

LOADED_TABLES = (
    "tickets_customer",
    "tickets_customeridentity",
    "tickets_ticket",
    "tickets_message",
    "tickets_ticketevent",
    "tickets_ticketparticipant",
    "comments_internalcomment",
)
STAGING = "bench_ticket_staging"
TICKET_COLUMNS = (
    "id", "number", "subject", "status", "priority", "channel", "customer_id", "assignee_id",
    "group_id", "tags", "created_at", "updated_at", "first_response_at",
    "last_customer_message_at", "solved_at", "closed_at",
)  # fmt: skip
COPY_COLUMNS = {
    STAGING: (*TICKET_COLUMNS, "body"),
    "tickets_message": (
        "id", "ticket_id", "direction", "channel", "author_customer_id", "author_user_id",
        "sender_address", "text", "html", "external_id", "delivery_status", "delivery_error",
        "is_auto_generated", "created_at",
    ),
    "tickets_ticketevent": (
        "id", "ticket_id", "kind", "actor_id", "actor_customer_id", "old", "new", "note",
        "created_at",
    ),
    "comments_internalcomment": ("id", "ticket_id", "author_id", "text", "created_at"),
    "tickets_ticketparticipant": ("id", "ticket_id", "user_id", "reason", "created_at"),
    "tickets_customer": (
        "id", "name", "language", "notes", "merged_into_id", "created_at", "updated_at",
    ),
    "tickets_customeridentity": (
        "id", "customer_id", "kind", "value", "display", "is_reachable", "created_at",
    ),
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# The shape of the desk
# ---------------------------------------------------------------------------------------------

# (status, share of all tickets, how recent: e-folding width as a fraction of the history).
# What is left over is `closed`. A narrow width keeps a status among the newest tickets.
STATUS_CURVES = (
    ("new", 0.03, 0.12),
    ("open", 0.06, 0.25),
    ("pending", 0.04, 0.25),
    ("on_hold", 0.02, 0.30),
    ("solved", 0.15, 0.80),
)
PRIORITIES = ((2, 70), (1, 10), (3, 15), (4, 5))  # normal, low, high, urgent
CHANNELS = (("email", 45), ("telegram", 20), ("web", 15), ("viber", 10), ("phone", 10))
CHANNEL_IDENTITY = {"email": "email", "web": "email", "telegram": "telegram",
                    "viber": "viber", "phone": "phone"}  # fmt: skip
IDENTITY_KINDS = (("email", 55), ("telegram", 25), ("viber", 15), ("phone", 25))
IDENTITY_COUNT = ((1, 50), (2, 35), (3, 15))
MESSAGE_COUNT = ((1, 12), (2, 28), (3, 25), (4, 18), (5, 10), (6, 7))
# Mean hours to an agent's reply, by priority.
REPLY_HOURS = {1: 8.0, 2: 4.0, 3: 1.5, 4: 0.5}
CUSTOMER_REPLY_HOURS = 10.0
COMMENTED_SHARE = 0.10

# Tickets per hour of the day (Moscow time) and per weekday (Monday first).
HOUR_WEIGHTS = (1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 3.0, 5.0, 6.5, 7.0,
                7.0, 6.5, 6.5, 6.5, 6.0, 5.5, 4.5, 4.0, 3.5, 3.0, 2.5, 1.6)  # fmt: skip
DAY_WEIGHTS = (1.15, 1.1, 1.05, 1.0, 0.95, 0.6, 0.55)
MOSCOW_OFFSET = 3 * 3600

GROUPS = (
    # key, name, tier, description
    ("ru", "Support — tier 1 (RU)", 1, "First line for Russian-speaking customers."),
    ("en", "Support — tier 1 (EN)", 1, "First line for English-speaking customers."),
    ("esc", "Escalations — tier 2", 2, "Hard cases climbing the ladder."),
    ("billing", "Billing — tier 2", 2, "Payments, refunds, invoices."),
)
# agent01..agent20, in order; the group key says where each sits.
AGENTS = (
    ("Василий Петров", "ru"), ("Анна Смирнова", "ru"), ("Дмитрий Орлов", "ru"),
    ("Елена Козлова", "ru"), ("Игорь Никитин", "ru"), ("Ольга Захарова", "ru"),
    ("Павел Морозов", "ru"), ("Юлия Соколова", "ru"),
    ("Kate Miller", "en"), ("Tom Baker", "en"), ("Sarah Collins", "en"),
    ("James Turner", "en"), ("Emily Clark", "en"), ("Daniel Wright", "en"),
    ("Сергей Иванов", "esc"), ("Mark Hughes", "esc"), ("Наталья Волкова", "esc"),
    ("Ирина Белова", "billing"), ("Laura Green", "billing"), ("Максим Фёдоров", "billing"),
)  # fmt: skip
INTERNAL_STAFF = (
    ("Дима Кузнецов", "Developer"),
    ("Ольга Фёдорова", "Accountant"),
    ("Maria Lebedeva", "Marketing manager"),
    ("Пётр Егоров", "Warehouse lead"),
    ("Alex Novak", "Logistics coordinator"),
)

TAGS = ("order", "refund", "delivery", "password", "promo", "invoice", "vip", "complaint",
        "b2b", "callback", "exchange", "warranty", "payment", "bug", "feedback")  # fmt: skip

# ---------------------------------------------------------------------------------------------
# Words: names, products, and the fragments messages are built from
# ---------------------------------------------------------------------------------------------


def words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


def name_pairs(text: str) -> tuple[tuple[str, str], ...]:
    """ "Алексей:alexey Дмитрий:dmitry" -> (("Алексей", "alexey"), ("Дмитрий", "dmitry"))."""
    return tuple(tuple(word.split(":")) for word in text.split())


RU_MALE = name_pairs(
    "Алексей:alexey Дмитрий:dmitry Сергей:sergey Андрей:andrey Иван:ivan Михаил:mikhail "
    "Николай:nikolay Павел:pavel Артём:artem Максим:maxim Егор:egor Кирилл:kirill Олег:oleg "
    "Роман:roman Владимир:vladimir"
)
RU_FEMALE = name_pairs(
    "Анна:anna Мария:maria Елена:elena Ольга:olga Татьяна:tatiana Наталья:natalia Ирина:irina "
    "Светлана:svetlana Юлия:yulia Екатерина:ekaterina Марина:marina Дарья:daria Ксения:ksenia "
    "Алина:alina Виктория:victoria"
)
RU_LAST = name_pairs(  # the female form adds "а"
    "Иванов:ivanov Смирнов:smirnov Кузнецов:kuznetsov Попов:popov Васильев:vasiliev "
    "Петров:petrov Соколов:sokolov Михайлов:mikhailov Новиков:novikov Фёдоров:fedorov "
    "Морозов:morozov Волков:volkov Алексеев:alekseev Лебедев:lebedev Семёнов:semenov "
    "Егоров:egorov Павлов:pavlov Козлов:kozlov Степанов:stepanov Николаев:nikolaev Орлов:orlov "
    "Андреев:andreev Макаров:makarov Никитин:nikitin Захаров:zakharov"
)
EN_FIRST = words(
    "James Mary John Patricia Robert Jennifer Michael Linda David Emma Oliver Sophie Daniel "
    "Laura Thomas Hannah Peter Kate Mark Lucy George Amelia Jack Chloe Henry"
)
EN_LAST = words(
    "Smith Johnson Brown Taylor Miller Wilson Moore Clark Walker Hall Young King Wright Green "
    "Baker Adams Nelson Carter Mitchell Turner Evans Harris Cooper Ward Bell"
)
DOMAINS = {
    "ru": ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "inbox.ru", "rambler.ru"),
    "en": ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me"),
}

PRODUCTS = {  # Russian in the accusative: "заказала {product}"
    "ru": words(
        "рюкзак Urban 25L|кофеварку DeLonghi|беспроводные наушники|электрический чайник|"
        "зимнюю куртку|кроссовки Nike Air|смартфон Galaxy A54|робот-пылесос|настольную лампу|"
        "детский велосипед|набор посуды|фен Dyson|ортопедический матрас|умные часы|"
        "чемодан на колёсах|игровую мышь|книжный стеллаж|блендер Philips|утюг Tefal|"
        "пуховое одеяло",
        "|",
    ),
    "en": words(
        "Urban 25L backpack|DeLonghi coffee machine|wireless headphones|electric kettle|"
        "winter jacket|Nike Air sneakers|Galaxy A54 phone|robot vacuum|desk lamp|kids bike|"
        "cookware set|Dyson hair dryer|memory foam mattress|smart watch|carry-on suitcase|"
        "gaming mouse|bookshelf|Philips blender|Tefal iron|down duvet",
        "|",
    ),
}
CITIES = {
    "ru": words(
        "Москва Санкт-Петербург Казань Новосибирск Екатеринбург Краснодар Самара Воронеж Пермь "
        "Тюмень"
    ),
    "en": words("London Manchester Berlin Warsaw Riga Dublin Prague Vilnius Leeds Bristol"),
}
PROMO_CODES = ("SALE10", "WELCOME5", "BLACKFRIDAY", "SPRING15", "VIP20", "FREESHIP", "NEWYEAR")

TOPICS = ("order", "refund", "delivery", "password", "promo", "invoice")
# Topic -> tag it usually carries, and the group that handles it past the first line.
TOPIC_ESCALATION = {"order": "esc", "refund": "billing", "delivery": "esc",
                    "password": "esc", "promo": "billing", "invoice": "billing"}  # fmt: skip

SUBJECTS = {
    "ru": {
        "order": (
            "Где мой заказ №{order}?",
            "Заказ {order} до сих пор не собран",
            "Вопрос по заказу {order}",
            "Хочу изменить состав заказа {order}",
            "Не могу оформить заказ на {product}",
        ),
        "refund": (
            "Возврат денег по заказу {order}",
            "Верните деньги за {product}",
            "Когда будет возврат {amount} ₽?",
            "Отказ от заказа {order} и возврат",
            "Возврат товара: {product}",
        ),
        "delivery": (
            "Доставка заказа {order} задерживается",
            "Курьер не приехал {date}",
            "Не пришла посылка в г. {city}",
            "Изменить адрес доставки заказа {order}",
            "Трек-номер RU{track} не отслеживается",
        ),
        "password": (
            "Не могу войти в личный кабинет",
            "Не приходит код подтверждения",
            "Сброс пароля не работает",
            "Аккаунт заблокирован после {attempts} попыток",
            "Смена email в профиле",
        ),
        "promo": (
            "Не применилась скидка {percent}%",
            "Промокод {code} не работает",
            "Скидка не учтена в заказе {order}",
            "Пропали бонусные баллы",
            "Цена на {product} изменилась после оформления",
        ),
        "invoice": (
            "Нужен счёт для юрлица по заказу {order}",
            "Счёт {invoice} не оплачивается",
            "Закрывающие документы по заказу {order}",
            "Ошибка в реквизитах счёта {invoice}",
            "Счёт-фактура по заказу {order}",
        ),
    },
    "en": {
        "order": (
            "Where is my order #{order}?",
            "Order {order} still not packed",
            "Question about order {order}",
            "Change items in order {order}",
            "Can't place an order for {product}",
        ),
        "refund": (
            "Refund for order {order}",
            "Refund for the {product}",
            "When will I get my {amount} EUR back?",
            "Cancel order {order} and refund",
            "Returning the {product}",
        ),
        "delivery": (
            "Order {order} delivery is late",
            "Courier did not show up on {date}",
            "Parcel to {city} never arrived",
            "Change delivery address for {order}",
            "Tracking number RU{track} not working",
        ),
        "password": (
            "Cannot log in to my account",
            "Verification code never arrives",
            "Password reset link broken",
            "Account locked after {attempts} attempts",
            "Change email address on my profile",
        ),
        "promo": (
            "Discount {percent}% not applied",
            "Promo code {code} doesn't work",
            "Sale price missing on order {order}",
            "My loyalty points disappeared",
            "Price of the {product} changed at checkout",
        ),
        "invoice": (
            "Need a company invoice for order {order}",
            "Invoice {invoice} unpaid?",
            "VAT invoice for order {order}",
            "Wrong company details on {invoice}",
            "Receipt for order {order}",
        ),
    },
}
PROBLEMS = {
    "ru": {
        "order": (
            "Оформил(а) заказ №{order} на {product} {date}, но статус не меняется уже {days} дн.",
            "В заказе {order} не хватает позиции — {product} не положили.",
            "Хочу добавить в заказ {order} ещё {product}, это возможно?",
            "При оформлении заказа на {product} сайт выдаёт ошибку оплаты.",
            "Заказ {order} отменился сам, а деньги {amount} ₽ списались.",
        ),
        "refund": (
            "Вернул(а) {product} {date}, но деньги {amount} ₽ так и не пришли.",
            "Прошу оформить возврат по заказу {order}: товар не подошёл.",
            "Вы обещали возврат {amount} ₽ за {days} рабочих дней, прошло больше.",
            "Пришёл бракованный товар ({product}), хочу вернуть деньги.",
            "За отменённый заказ {order} списали дважды, верните {amount} ₽.",
        ),
        "delivery": (
            "Доставку заказа {order} обещали {date}, но курьер так и не приехал.",
            "Посылка застряла на сортировке в г. {city} уже {days} дн.",
            "Трек-номер RU{track} не отслеживается на сайте перевозчика.",
            "Хочу забрать заказ {order} в пункте выдачи в г. {city}, а не курьером.",
            "Курьер привёз чужую коробку, а я ждал(а) {product}.",
        ),
        "password": (
            "Пытаюсь восстановить пароль, письмо со ссылкой не приходит {days} дн.",
            "Код подтверждения по SMS не приходит, номер {phone}.",
            "После {attempts} неудачных попыток вход заблокировали.",
            "Ссылка для сброса пароля пишет, что устарела.",
            "Хочу сменить почту в профиле, а старая уже недоступна.",
        ),
        "promo": (
            "На сайте {product} был со скидкой {percent}%, а списали полную цену.",
            "Промокод {code} пишет, что недействителен, хотя срок до {date}.",
            "В заказе {order} не учли бонусные баллы — пропало {points} баллов.",
            "Скидка {percent}% на {product} не применилась в корзине.",
            "Разница в цене {amount} ₽: на витрине одна цена, в заказе другая.",
        ),
        "invoice": (
            "Пришлите, пожалуйста, счёт на оплату заказа {order} на наше ООО.",
            "В счёте {invoice} неверно указан ИНН, исправьте, пожалуйста.",
            "Оплатили счёт {invoice} на {amount} ₽ {date}, а заказ не подтверждён.",
            "Нужны закрывающие документы (УПД) по заказу {order}.",
            "Бухгалтерия просит акт сверки по заказу {order}.",
        ),
    },
    "en": {
        "order": (
            "I placed order #{order} for the {product} on {date} and the status hasn't "
            "changed for {days} days.",
            "Order {order} arrived without the {product}.",
            "Can I still add the {product} to order {order}?",
            "Checkout fails with a payment error when I order the {product}.",
            "Order {order} was cancelled by itself but you charged me {amount} EUR.",
        ),
        "refund": (
            "I sent the {product} back on {date} and still have no refund of {amount} EUR.",
            "Please refund order {order}, the item doesn't fit.",
            "You promised the refund of {amount} EUR within {days} working days.",
            "The {product} arrived broken and I want my money back.",
            "I was charged twice for cancelled order {order}, refund {amount} EUR please.",
        ),
        "delivery": (
            "Order {order} was due on {date} but the courier never came.",
            "My parcel has been stuck at the {city} depot for {days} days.",
            "Tracking number RU{track} shows nothing on the carrier website.",
            "Can I collect order {order} from a pickup point in {city} instead?",
            "The courier delivered someone else's box instead of my {product}.",
        ),
        "password": (
            "The password reset email hasn't arrived for {days} days.",
            "The SMS verification code never arrives, my number is {phone}.",
            "My account got locked after {attempts} failed attempts.",
            "The password reset link says it has expired.",
            "I need to change the email on my profile, the old one is gone.",
        ),
        "promo": (
            "The {product} was {percent}% off on the site but I paid full price.",
            "Promo code {code} says invalid although it is valid until {date}.",
            "Order {order} ignored my loyalty points, {points} points are gone.",
            "The {percent}% discount on the {product} didn't apply in the cart.",
            "The price differs by {amount} EUR between the product page and my order.",
        ),
        "invoice": (
            "Please send an invoice for order {order} made out to our company.",
            "Invoice {invoice} has the wrong VAT number, please correct it.",
            "We paid invoice {invoice} of {amount} EUR on {date} but the order is "
            "still unconfirmed.",
            "We need the VAT invoice for order {order}.",
            "Our accountant asks for a statement for order {order}.",
        ),
    },
}
ANSWERS = {
    "ru": {
        "order": (
            "Проверили заказ {order}: он собран и передан в доставку {date}.",
            "Добавили {product} в заказ {order}, итоговая сумма {amount} ₽.",
            "Ошибка оплаты связана с банком — попробуйте, пожалуйста, другую карту.",
        ),
        "refund": (
            "Возврат {amount} ₽ оформлен {date}, деньги придут в течение {days} рабочих дней.",
            "Заявку на возврат по заказу {order} приняли.",
            "Бухгалтерия подтвердила повторное списание, вернём {amount} ₽.",
        ),
        "delivery": (
            "Связались со службой доставки: заказ {order} привезут {date} с 10 до 18.",
            "Посылка уже в пункте выдачи в г. {city}, срок хранения {days} дн.",
            "Перевозчик потерял посылку, отправили заказ {order} повторно.",
        ),
        "password": (
            "Отправили новую ссылку для сброса пароля, она действует 24 часа.",
            "Сняли блокировку с аккаунта, попробуйте войти ещё раз.",
            "Сменили email в профиле, подтвердите его по ссылке из письма.",
        ),
        "promo": (
            "Вы правы, скидка {percent}% не применилась — вернём разницу {amount} ₽.",
            "Промокод {code} действует только на товары из акции.",
            "Вернули на счёт {points} бонусных баллов.",
        ),
        "invoice": (
            "Счёт {invoice} перевыставили с правильными реквизитами.",
            "УПД по заказу {order} отправили на вашу почту.",
            "Оплата по счёту {invoice} поступила, заказ {order} подтверждён.",
        ),
    },
    "en": {
        "order": (
            "We checked order {order}: it was packed and handed to the courier on {date}.",
            "We added the {product} to order {order}, the new total is {amount} EUR.",
            "The payment error comes from your bank, please try another card.",
        ),
        "refund": (
            "Your refund of {amount} EUR was issued on {date}, allow {days} working days.",
            "We accepted the return request for order {order}.",
            "Accounting confirmed the double charge, we will refund {amount} EUR.",
        ),
        "delivery": (
            "The carrier will deliver order {order} on {date} between 10 and 6.",
            "Your parcel is waiting at the {city} pickup point for {days} days.",
            "The carrier lost the parcel, we shipped order {order} again.",
        ),
        "password": (
            "We sent a new password reset link, it works for 24 hours.",
            "We unlocked your account, please try to log in again.",
            "We changed the email on your profile, please confirm it.",
        ),
        "promo": (
            "You are right, the {percent}% discount was missing, we refund {amount} EUR.",
            "Promo code {code} only works on sale items.",
            "We restored {points} loyalty points to your account.",
        ),
        "invoice": (
            "We reissued invoice {invoice} with the right company details.",
            "The VAT invoice for order {order} is on its way to your inbox.",
            "Payment for invoice {invoice} arrived, order {order} is confirmed.",
        ),
    },
}
GREETINGS = {
    "ru": ("Здравствуйте!", "Добрый день!", "Добрый вечер.", "Привет!", "Здравствуйте, поддержка."),
    "en": ("Hello,", "Hi there,", "Good morning,", "Hi,", "Dear support team,"),
}
CUSTOMER_EXTRAS = {
    "ru": (
        "Уже {n}-й раз пишу.",
        "Очень жду ответа.",
        "Это срочно, пожалуйста.",
        "Номер заказа {order}.",
        "Оплачивал(а) картой.",
        "Помогите разобраться.",
        "Заранее спасибо!",
        "Скриншот прикладываю.",
    ),
    "en": (
        "This is my {n}th message about it.",
        "Waiting for your answer.",
        "It is urgent, please.",
        "My order number is {order}.",
        "I paid by card.",
        "Please help.",
        "Thanks in advance!",
        "Screenshot attached.",
    ),
}
SIGNATURES = {"ru": ("С уважением, {name}.", "{first}", "Спасибо, {first}."),
              "en": ("Best regards, {name}", "{first}", "Thanks, {first}")}  # fmt: skip
FOLLOW_UPS = {
    "ongoing": {
        "ru": (
            "А когда точно ждать?",
            "Всё ещё не пришло, проверьте, пожалуйста, ещё раз заказ {order}.",
            "Не помогло, ошибка та же.",
            "Хорошо, жду.",
            "А можно вернуть деньги на другую карту?",
            "Прошло уже {days} дн., а ничего не изменилось.",
        ),
        "en": (
            "When exactly should I expect it?",
            "Still nothing, please check order {order} again.",
            "That didn't help, same error.",
            "OK, I'll wait.",
            "Can the money go to a different card?",
            "It has been {days} days and nothing has changed.",
        ),
    },
    "done": {
        "ru": (
            "Спасибо, всё получилось!",
            "Спасибо за быстрый ответ.",
            "Отлично, спасибо за помощь!",
            "Всё пришло, спасибо.",
        ),
        "en": (
            "Thanks, it worked!",
            "Thanks for the quick reply.",
            "Great, thank you for your help!",
            "Got it, thank you.",
        ),
    },
}
AGENT_GREETINGS = {"ru": ("Здравствуйте, {first}!", "{first}, добрый день!", "Добрый день!"),
                   "en": ("Hello {first},", "Hi {first},", "Good afternoon,")}  # fmt: skip
AGENT_FOLLOW_UPS = {
    "ongoing": {
        "ru": (
            "Уточнили ещё раз: всё в силе, ждите {date}.",
            "Передали вопрос старшему специалисту, ответим до {date}.",
            "Проверили повторно — заказ {order} в пути.",
            "Запросили информацию у склада, вернёмся с ответом до {date}.",
        ),
        "en": (
            "We double-checked: all is on track, expect it on {date}.",
            "We passed this to a senior specialist and will answer by {date}.",
            "Checked again: order {order} is on its way.",
            "We asked the warehouse and will get back to you by {date}.",
        ),
    },
    "done": {
        "ru": ("Рады, что всё решилось!", "Отлично, закрываем обращение.", "Рады были помочь!"),
        "en": ("Glad it is sorted!", "Great, we will close this request.", "Happy to help!"),
    },
}
AGENT_CLOSINGS = {
    "ru": (
        "Если будут вопросы — пишите.",
        "Хорошего дня!",
        "Приносим извинения за неудобства.",
        "С уважением, {agent}, служба поддержки.",
    ),
    "en": (
        "Let us know if you have any questions.",
        "Have a nice day!",
        "Sorry for the inconvenience.",
        "Kind regards, {agent}, Customer Support",
    ),
}
COMMENTS = {
    "ru": (
        "Проверил в CRM: заказ {order} отгружен {date}.",
        "Клиент постоянный, можно предложить промокод {code}.",
        "Бухгалтерия подтвердила оплату {amount} ₽.",
        "Склад говорит, что {product} нет в наличии до {date}.",
        "Передаю на второй уровень, нужна проверка логов.",
        "Уже третий такой случай за неделю, завёл задачу разработчикам.",
    ),
    "en": (
        "Checked CRM: order {order} shipped on {date}.",
        "Loyal customer, we can offer promo code {code}.",
        "Accounting confirmed the payment of {amount} EUR.",
        "Warehouse says the {product} is out of stock until {date}.",
        "Escalating to tier 2, someone needs to check the logs.",
        "Third case like this this week, I filed a bug for the developers.",
    ),
}

# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


class Weighted:
    """Pick from (value, weight) pairs with one uniform number."""

    def __init__(self, pairs) -> None:
        self.values = [value for value, _ in pairs]
        total, self.bounds = 0.0, []
        for _, weight in pairs:
            total += weight
            self.bounds.append(total)
        self.total = total

    def pick(self, u: float):
        return self.values[bisect.bisect_right(self.bounds, u * self.total)]


class Timestamps:
    """Epoch seconds -> COPY text for timestamptz, with per-day and per-second caches
    (tens of millions of timestamps would otherwise cost a minute of strftime)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._clock = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400)]

    def __call__(self, ts: float) -> str:
        day, second = divmod(int(ts), 86400)
        text = self._days.get(day)
        if text is None:
            text = datetime.fromtimestamp(day * 86400, UTC).strftime("%Y-%m-%d ")
            self._days[day] = text
        return text + self._clock[second]


class Calendar:
    """When tickets arrive: over the last two years, on weekday afternoons (Moscow time) more
    than at night or at weekends, and more each month as the shop grows."""

    def __init__(self, now: float, days: int) -> None:
        self.start = (now - days * 86400) // 3600 * 3600
        hours = int((now - self.start) // 3600)
        self.bounds: list[float] = []
        total = 0.0
        for hour in range(hours):
            local = int(self.start) + hour * 3600 + MOSCOW_OFFSET
            total += (
                HOUR_WEIGHTS[local // 3600 % 24]
                * DAY_WEIGHTS[(local // 86400 + 3) % 7]  # 1970-01-01 was a Thursday
                * (0.7 + 0.6 * hour / hours)
            )
            self.bounds.append(total)
        self.total = total

    def at(self, q: float) -> float:
        """The time below which a share q (0..1) of all tickets were created; rising with q."""
        target = q * self.total
        hour = min(bisect.bisect_right(self.bounds, target), len(self.bounds) - 1)
        before = self.bounds[hour - 1] if hour else 0.0
        within = (target - before) / (self.bounds[hour] - before)
        return self.start + (hour + min(within, 1.0)) * 3600


def status_chooser() -> list[tuple[str, float, float]]:
    """(status, amplitude, width) so that amplitude * exp(-(1 - x) / width) integrates to the
    status's share over x in 0..1 (x is the ticket's place in history, 1 = newest)."""
    return [
        (status, share / (width * (1 - math.exp(-1 / width))), width)
        for status, share, width in STATUS_CURVES
    ]


def copy_literal(text: str) -> str:
    if any(c in text for c in "\t\n\r\\"):
        raise ValueError(f"Phrase needs COPY escaping: {text!r}")
    return text


# ---------------------------------------------------------------------------------------------
# Database plumbing
# ---------------------------------------------------------------------------------------------


def connection_params(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(f"Not a PostgreSQL URL: {url}")
    params = {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "postgres"),
        "dbname": unquote(parts.path.lstrip("/")),
    }
    if parts.password:
        params["password"] = unquote(parts.password)
    if not params["dbname"]:
        raise SystemExit("The database URL must name a database.")
    return params


def connect(params: dict, *, autocommit: bool = False, session: str = ""):
    conn = psycopg2.connect(**params)
    conn.autocommit = autocommit
    if session:
        with conn.cursor() as cur:
            cur.execute(session)
        if not autocommit:
            conn.commit()
    return conn


LOAD_SESSION = "SET synchronous_commit = off"
BUILD_SESSION = (
    "SET synchronous_commit = off; SET maintenance_work_mem = '1GB'; "
    "SET max_parallel_maintenance_workers = 2; SET work_mem = '256MB'"
)


class CopyStream:
    """A file-like object that psycopg2's `copy_expert` reads, in a thread of its own and on
    a connection of its own, while the generator adds rows. Rows are joined into chunks of
    a few hundred kilobytes; a short queue keeps memory flat and lets both sides run."""

    CHUNK_ROWS = 2000

    def __init__(self, params: dict, table: str, *, prepare: str) -> None:
        self.table = table
        self.rows = 0
        self._lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        columns = ", ".join(COPY_COLUMNS[table])
        statement = f"COPY {table} ({columns}) FROM STDIN WITH (FREEZE)"
        self._thread = threading.Thread(
            target=self._run, args=(params, prepare, statement), name=f"copy-{table}", daemon=True
        )
        self._thread.start()

    def add(self, line: str) -> None:
        self._lines.append(line)
        if len(self._lines) >= self.CHUNK_ROWS:
            self._flush()

    def read(self, size: int = -1) -> str:
        chunk = self._queue.get()
        return "" if chunk is None else chunk

    def close(self) -> None:
        self._flush()
        self._put(None)
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"COPY into {self.table} failed") from self._error

    def _flush(self) -> None:
        if self._lines:
            self.rows += len(self._lines)
            self._put("".join(self._lines))
            self._lines.clear()

    def _put(self, chunk: str | None) -> None:
        while True:
            try:
                self._queue.put(chunk, timeout=1)
            except queue.Full:
                if not self._thread.is_alive():
                    raise RuntimeError(f"COPY into {self.table} failed") from self._error
            else:
                return

    def _run(self, params: dict, prepare: str, statement: str) -> None:
        try:
            conn = connect(params, session=LOAD_SESSION)
            try:
                with conn.cursor() as cur:
                    # Created or truncated in the COPY's own transaction: FREEZE is allowed.
                    cur.execute(prepare)
                    cur.copy_expert(statement, self, size=1 << 20)
                conn.commit()
            finally:
                conn.close()
        except BaseException as error:  # handed to the generator thread by close()/_put()
            self._error = error


@contextmanager
def copy_streams(params: dict, prepares: dict[str, str]) -> Iterator[dict[str, CopyStream]]:
    streams = {table: CopyStream(params, table, prepare=sql) for table, sql in prepares.items()}
    try:
        yield streams
    finally:
        errors = []
        for stream in streams.values():
            try:
                stream.close()
            except RuntimeError as error:
                errors.append(error)
        if errors:
            raise errors[0]


def run_parallel(params: dict, tasks: list[list[str]], *, workers: int = 2) -> None:
    """Run task lists on `workers` connections; each task's statements run in order."""
    todo: queue.Queue[list[str]] = queue.Queue()
    for task in tasks:
        todo.put(task)
    errors: list[BaseException] = []

    def work() -> None:
        conn = connect(params, autocommit=True, session=BUILD_SESSION)
        try:
            with conn.cursor() as cur:
                while not errors:
                    try:
                        task = todo.get_nowait()
                    except queue.Empty:
                        return
                    for statement in task:
                        cur.execute(statement)
        except BaseException as error:
            errors.append(error)
        finally:
            conn.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------------------------
# Creating, checking and dropping the database
# ---------------------------------------------------------------------------------------------


def read_marker(admin, name: str) -> dict | None:
    with admin.cursor() as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        row = cur.fetchone()
    if row is None:
        return None
    try:
        marker = json.loads(row[0] or "")
    except ValueError:
        return {}
    return marker if isinstance(marker, dict) and marker.get("generator") == MARKER else {}


def write_marker(conn, name: str, marker: dict) -> None:
    with conn.cursor() as cur:
        cur.execute(f'COMMENT ON DATABASE "{name}" IS %s', [json.dumps(marker)])


def ticket_count(params: dict) -> int:
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('tickets_ticket') IS NOT NULL")
            if not cur.fetchone()[0]:
                return 0
            cur.execute("SELECT count(*) FROM tickets_ticket")
            return cur.fetchone()[0]
    finally:
        conn.close()


def prepare_database(params: dict, *, tickets: int, fresh: bool) -> dict | None:
    """Create the database, or recreate it. Returns the stored fixtures when the database
    is already a finished benchmark desk of at least `tickets` tickets (nothing to do)."""
    name = params["dbname"]
    admin = connect({**params, "dbname": "postgres"}, autocommit=True)
    try:
        marker = read_marker(admin, name)
        if marker is not None:
            if not fresh and marker.get("complete") and marker.get("tickets", 0) >= tickets:
                return marker["fixtures"]
            if not marker and not fresh and ticket_count(params) > 0:
                raise SystemExit(
                    f'Database "{name}" has tickets and was not made by {MARKER}; '
                    "refusing to drop it (pass --fresh to insist)."
                )
            print(f'dropping database "{name}" ({"--fresh" if fresh else "other size"})')
            with admin.cursor() as cur:
                cur.execute(f'DROP DATABASE "{name}"')
        with admin.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
        write_marker(admin, name, {"generator": MARKER, "complete": False})
    finally:
        admin.close()
    return None


def setup_django(url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "helpdesk.settings"
    os.environ["DATABASE_URL"] = url
    os.environ["SECRET_KEY"] = "bench-generate-not-secret"  # noqa: S105
    os.environ["DEBUG"] = "false"
    os.environ["DATABASE_CONN_MAX_AGE"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# ---------------------------------------------------------------------------------------------
# People and groups (ORM, a few rows)
# ---------------------------------------------------------------------------------------------


@dataclass
class Staff:
    admin_id: int
    agent_ids: list[int]
    internal_ids: list[int]
    groups: dict[str, tuple[int, str, list[int]]]  # key -> (id, name, member ids)
    first_names: dict[int, str]


def create_staff() -> Staff:
    from django.contrib.auth.hashers import make_password

    from accounts.models import Role, User
    from tickets.models import Group

    password = make_password(BENCH_PASSWORD)  # hashed once, copied to everyone

    def person(email: str, name: str, role: str, title: str) -> User:
        user = User(email=email, full_name=name, role=role, title=title, password=password)
        user.language = "ru" if name[0] >= "А" else "en"
        user.save()
        return user

    admin = person("admin@bench.helpdesk", "Bench Admin", Role.ADMIN, "Head of support")
    agents = [
        person(f"agent{n:02d}@bench.helpdesk", name, Role.AGENT, "Support agent")
        for n, (name, _) in enumerate(AGENTS, start=1)
    ]
    internal = [
        person(f"internal{n:02d}@bench.helpdesk", name, Role.INTERNAL, title)
        for n, (name, title) in enumerate(INTERNAL_STAFF, start=1)
    ]
    groups = {}
    for key, name, tier, description in GROUPS:
        group = Group.objects.create(name=name, tier=tier, description=description)
        members = [a for a, (_, where) in zip(agents, AGENTS, strict=True) if where == key]
        group.members.set(members)
        groups[key] = (group.pk, name, [m.pk for m in members])
    return Staff(
        admin_id=admin.pk,
        agent_ids=[a.pk for a in agents],
        internal_ids=[u.pk for u in internal],
        groups=groups,
        first_names={u.pk: u.full_name.split(" ")[0] for u in [admin, *agents, *internal]},
    )


# ---------------------------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class CustomerProfile:
    id: int
    name: str
    first: str
    language: str
    identities: list[tuple[str, str, str]]  # (kind, value, display)
    search_text: str = ""
    first_seen: float = 0.0


def identity(kind: str, cid: int, language: str, first: str, last: str, name: str, rng):
    """(kind, value, display), the value unique per kind because it is built from the id."""
    if kind == "email":
        domain = rng.choice(DOMAINS[language])
        return kind, f"{first}.{last}{cid}@{domain}", ""
    if kind == "telegram":
        return kind, str(5_000_000_000 + cid * 7919), f"@{first}_{last[:4]}{cid % 1000}"
    if kind == "viber":
        return kind, f"{cid * 2654435761 % 16**10:010x}{cid:06x}=", name
    digits = f"{cid * 7919 % 10**9:09d}"
    if language == "ru":
        value = f"+79{digits}"
        return kind, value, f"+7 9{digits[:2]} {digits[2:5]}-{digits[5:7]}-{digits[7:]}"
    value = f"+447{digits}"
    return kind, value, f"+44 7{digits[:3]} {digits[3:]}"


def make_customers(rng: random.Random, count: int) -> list[CustomerProfile]:
    kinds, sizes = Weighted(IDENTITY_KINDS), Weighted(IDENTITY_COUNT)
    customers = []
    for cid in range(1, count + 1):
        if rng.random() < 0.5:
            female = rng.random() < 0.55
            first, first_lat = rng.choice(RU_FEMALE if female else RU_MALE)
            last, last_lat = rng.choice(RU_LAST)
            name, language = f"{first} {last}{'а' if female else ''}", "ru"
        else:
            first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
            first_lat, last_lat = first.lower(), last.lower()
            name, language = f"{first} {last}", "en"
        wanted = sizes.pick(rng.random())
        chosen: list[str] = []
        while len(chosen) < wanted:
            kind = kinds.pick(rng.random())
            if kind not in chosen:
                chosen.append(kind)
        identities = [
            identity(kind, cid, language, first_lat, last_lat, name, rng) for kind in chosen
        ]
        words = [name, *(v for _, v, _ in identities), *(d for _, _, d in identities if d)]
        customers.append(CustomerProfile(cid, name, first, language, identities, " ".join(words)))
    return customers


def customer_pools(customers: list[CustomerProfile]) -> dict[str, list[CustomerProfile]]:
    """Customers by the identity kind a ticket's channel needs (web forms leave an email)."""
    pools: dict[str, list[CustomerProfile]] = {kind: [] for kind, _ in IDENTITY_KINDS}
    for customer in customers:
        for kind, _, _ in customer.identities:
            pools[kind].append(customer)
    return {kind: pool or customers for kind, pool in pools.items()}


# ---------------------------------------------------------------------------------------------
# Tickets and everything that hangs off them
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Fixture:
    """What the last ticket must look like: the load test's known open ticket."""

    group: str = "ru"
    assignee_index: int = 0  # agent01
    messages: int = 5
    comments: int = 3


@dataclass(slots=True)
class Counters:
    message: int = 0
    event: int = 0
    comment: int = 0
    participant: int = 0


class DeskGenerator:
    """Writes tickets 1..n, each with its messages, events, comments and participants."""

    def __init__(self, rng, staff: Staff, customers, n: int, now: float) -> None:
        self.rng, self.staff, self.n, self.now = rng, staff, n, now
        self.customers = customers
        self.pools = customer_pools(customers)
        self.calendar = Calendar(now, HISTORY_DAYS)
        self.ts = Timestamps()
        self.status_curves = status_chooser()
        self.priorities, self.channels = Weighted(PRIORITIES), Weighted(CHANNELS)
        self.message_counts = Weighted(MESSAGE_COUNT)
        self.ids = Counters()
        self.fixture: dict = {}
        self._created_json: dict[tuple[str, str], str] = {}
        for phrases in (SUBJECTS, PROBLEMS, ANSWERS, COMMENTS):
            for by_topic in phrases.values():
                for texts in by_topic.values() if isinstance(by_topic, dict) else [by_topic]:
                    for text in texts:
                        copy_literal(text)

    # -- the ticket itself ---------------------------------------------------------------

    def status(self, x: float) -> str:
        u, cumulative = self.rng.random(), 0.0
        for status, amplitude, width in self.status_curves:
            cumulative += amplitude * math.exp((x - 1) / width)
            if u < cumulative:
                return status
        return "closed"

    def customer(self, channel: str) -> CustomerProfile:
        pool = self.pools[CHANNEL_IDENTITY[channel]]
        u = self.rng.random()
        return pool[int(len(pool) * u * u)]  # a few regulars write far more than most

    def group_key(self, language: str, topic: str) -> str:
        if self.rng.random() < 0.8:
            return language
        return TOPIC_ESCALATION[topic]

    def tags(self, topic: str) -> str:
        r = self.rng.random
        tags = [topic] if r() < 0.7 else []
        for _ in range(int(r() * 3)):
            tag = TAGS[int(r() * len(TAGS))]
            if tag not in tags and len(tags) < 3:
                tags.append(tag)
        return "{" + ",".join(tags) + "}"

    def context(self, customer: CustomerProfile, agent_id: int | None, created: float) -> dict:
        r, language = self.rng.random, customer.language
        day = datetime.fromtimestamp(created + r() * 10 * 86400, UTC)
        return {
            "order": 100000 + int(r() * 900000),
            "product": PRODUCTS[language][int(r() * 20)],
            "amount": (
                f"{int(r() * 300) * 50 + 290:,}".replace(",", " ")
                if language == "ru"
                else f"{int(r() * 60) * 5 + 9}"
            ),
            "date": f"{day.day:02d}.{day.month:02d}",
            "city": CITIES[language][int(r() * 10)],
            "days": 2 + int(r() * 12),
            "code": PROMO_CODES[int(r() * len(PROMO_CODES))],
            "percent": (5, 10, 15, 20, 30)[int(r() * 5)],
            "points": 100 + int(r() * 50) * 20,
            "invoice": f"INV-{day.year}-{int(r() * 100000):05d}",
            "track": f"{int(r() * 10**9):09d}",
            "phone": f"+7 9{int(r() * 100):02d} {int(r() * 1000):03d}-{int(r() * 100):02d}-11",
            "attempts": 3 + int(r() * 5),
            "n": 2 + int(r() * 4),
            "first": customer.first,
            "name": customer.name,
            "agent": self.staff.first_names.get(agent_id, ""),
        }

    # -- text ------------------------------------------------------------------------------

    def pick(self, options):
        return options[int(self.rng.random() * len(options))]

    def customer_text(self, language: str, topic: str, ctx: dict, turn: str) -> str:
        r, pick = self.rng.random, self.pick
        if turn != "first":
            return pick(FOLLOW_UPS[turn][language]).format_map(ctx)
        parts = [pick(GREETINGS[language]), pick(PROBLEMS[language][topic])]
        if r() < 0.6:
            parts.append(pick(CUSTOMER_EXTRAS[language]))
        if r() < 0.3:
            parts.append(pick(PROBLEMS[language][pick(TOPICS)]))  # and another thing...
        parts.append(pick(SIGNATURES[language]))
        return NL.join(parts).format_map(ctx)

    def agent_text(self, language: str, topic: str, ctx: dict, turn: str) -> str:
        pick = self.pick
        if turn == "first":
            body = pick(ANSWERS[language][topic])
        else:
            body = pick(AGENT_FOLLOW_UPS[turn][language])
        parts = (pick(AGENT_GREETINGS[language]), body, pick(AGENT_CLOSINGS[language]))
        return NL.join(parts).format_map(ctx)

    # -- one ticket ------------------------------------------------------------------------

    def ticket(self, i: int, out: dict[str, CopyStream]) -> None:
        rng, r, ts = self.rng, self.rng.random, self.ts
        fixture = Fixture() if i == self.n else None
        x = i / self.n
        created = self.calendar.at((i - 1 + r()) / self.n)
        status = "open" if fixture else self.status(x)
        priority = self.priorities.pick(r())
        channel = self.channels.pick(r())
        customer = self.customer(channel)
        if not customer.first_seen:
            customer.first_seen = created
        language, topic = customer.language, TOPICS[int(r() * len(TOPICS))]
        group_key = fixture.group if fixture else self.group_key(language, topic)
        group_id, group_name, members = self.staff.groups[group_key]
        if status == "new":
            assignee = None
        elif fixture:
            assignee = self.staff.agent_ids[fixture.assignee_index]
        else:
            assignee = members[int(r() * len(members))]
        count = fixture.messages if fixture else self.message_count(status)
        ctx = self.context(customer, assignee, created)
        subject = self.pick(SUBJECTS[language][topic]).format_map(ctx)
        if priority == 4 and r() < 0.5:
            subject = ("СРОЧНО: " if language == "ru" else "URGENT: ") + subject

        # The timeline: message gaps, then the status change; squeezed into what is left
        # between creation and now for the newest tickets.
        reply_mean = REPLY_HOURS[priority] * 3600
        offsets, at = [0.0], 0.0
        for j in range(1, count):
            mean = reply_mean if j % 2 else CUSTOMER_REPLY_HOURS * 3600
            at += 120 + rng.expovariate(1 / mean)
            offsets.append(at)
        tail = self.status_offsets(status, offsets)
        last = max(tail.values()) if tail else at
        room = (self.now - created) * 0.95
        scale = room / last if last > room else 1.0
        times = [created + o * scale for o in offsets]
        moments = {key: created + o * scale for key, o in tail.items()}

        message_texts = self.messages(i, out, customer, assignee, channel, language, topic,
                                      ctx, times, status in ("solved", "closed"))  # fmt: skip
        updated = max(times[-1], *moments.values()) if moments else times[-1]
        comment_count = fixture.comments if fixture else self.comment_count(status)
        commenters = self.comments(i, out, language, ctx, comment_count, created, updated)
        self.events(i, out, customer, assignee, channel, group_name, status, times, moments)
        self.comment_events(i, out, commenters)
        self.participants(i, out, assignee, commenters, created)
        first_response = ts(times[1]) if count > 1 else NULL
        last_inbound = ts(times[(count - 1) // 2 * 2])
        solved = moments.get("solved")
        closed = moments.get("closed")
        body = NL.join([subject, customer.search_text, *message_texts])
        out[STAGING].add(
            f"{i}\t{999 + i}\t{subject}\t{status}\t{priority}\t{channel}\t{customer.id}\t"
            f"{assignee if assignee else NULL}\t{group_id}\t{self.tags(topic)}\t{ts(created)}\t"
            f"{ts(updated)}\t{first_response}\t{last_inbound}\t"
            f"{ts(solved) if solved else NULL}\t{ts(closed) if closed else NULL}\t{body}\n"
        )
        if fixture:
            self.fixture = {
                "ticket_id": i,
                "ticket_number": 999 + i,
                "customer_id": customer.id,
                "group_id": group_id,
                "assignee_id": assignee,
            }

    def message_count(self, status: str) -> int:
        """New tickets have only the customer's first message; pending ones wait on the
        customer (the agent wrote last); finished ones had at least one answer."""
        count = self.message_counts.pick(self.rng.random())
        if status == "new":
            return 1
        if status == "pending" and count % 2:
            return count + 1 if count < 6 else count - 1
        if status in ("on_hold", "solved", "closed"):
            return max(count, 2)
        return count

    def comment_count(self, status: str) -> int:
        if status == "new" or self.rng.random() >= COMMENTED_SHARE:
            return 0
        return 1 + int(self.rng.random() * 3)

    def status_offsets(self, status: str, offsets: list[float]) -> dict[str, float]:
        """When the ticket reached its status, relative to its creation."""
        expo, last = self.rng.expovariate, offsets[-1]
        if status == "new":
            return {}
        if status == "open":
            # Opened by the first answer, or by an agent taking the ticket before answering.
            return {"status": offsets[1] if len(offsets) > 1 else 300 + expo(1 / 1800)}
        if status in ("pending", "on_hold"):
            return {"status": last + 60 + expo(1 / 3600)}
        solved = last + 300 + expo(1 / (6 * 3600))
        if status == "solved":
            return {"status": solved, "solved": solved}
        if self.rng.random() < 0.1:  # closed straight away: spam, duplicates
            return {"status": solved, "closed": solved}
        closed = solved + (2 + 5 * self.rng.random()) * 86400  # auto-closed after a few days
        return {"status": closed, "solved": solved, "closed": closed}

    def messages(
        self, ticket_id, out, customer, assignee, channel, language, topic, ctx, times, resolved
    ):
        """Inbound and outbound in turn; replies to web and phone tickets go out by email.
        A resolved ticket's conversation ends on thanks; before that it is still going."""
        ts, ids, add = self.ts, self.ids, out["tickets_message"].add
        reply_channel = "email" if channel in ("web", "phone") else channel
        texts, final = [], len(times) - 1
        for j, at in enumerate(times):
            ids.message += 1
            mid = ids.message
            if j < 2:
                turn = "first"
            elif resolved and (j == final or (j == final - 1 and j % 2 == 0)):
                turn = "done"  # the customer's thanks, then maybe the agent's "glad to help"
            else:
                turn = "ongoing"
            if j % 2 == 0:
                text = self.customer_text(language, topic, ctx, turn)
                external = f"<{mid}.{ticket_id}@mail.example>" if channel == "email" else (
                    f"{channel}:{mid}" if channel in ("telegram", "viber") else ""
                )  # fmt: skip
                add(
                    f"{mid}\t{ticket_id}\tin\t{channel}\t{customer.id}\t{NULL}\t\t{text}\t\t"
                    f"{external}\treceived\t\tf\t{ts(at)}\n"
                )
            else:
                text = self.agent_text(language, topic, ctx, turn)
                add(
                    f"{mid}\t{ticket_id}\tout\t{reply_channel}\t{NULL}\t{assignee}\t\t{text}\t\t"
                    f"\tsent\t\tf\t{ts(at)}\n"
                )
            texts.append(text)
        return texts

    def comments(self, ticket_id, out, language, ctx, count, start, end) -> list[tuple]:
        """Internal comments between creation and the last activity, by agents and by
        internal staff; returns (author, comment id, time) for events and participants."""
        r, staff, ts, add = (
            self.rng.random,
            self.staff,
            self.ts,
            out["comments_internalcomment"].add,
        )
        made = []
        for k in range(count):
            self.ids.comment += 1
            people = staff.internal_ids if r() < 0.4 else staff.agent_ids
            author = people[int(r() * len(people))]
            at = start + (end - start) * (k + r()) / count
            text = self.pick(COMMENTS[language]).format_map(ctx)
            add(f"{self.ids.comment}\t{ticket_id}\t{author}\t{text}\t{ts(at)}\n")
            made.append((author, self.ids.comment, at))
        return made

    def events(self, ticket_id, out, customer, assignee, channel, group, status, times, moments):
        ts, ids, add = self.ts, self.ids, out["tickets_ticketevent"].add
        key = (channel, group)
        created_json = self._created_json.get(key)
        if created_json is None:
            created_json = json.dumps(
                {"channel": channel, "group": group, "owner": None, "follow_up_of": None},
                ensure_ascii=False,
            )
            self._created_json[key] = created_json
        ids.event += 1
        add(f"{ids.event}\t{ticket_id}\tcreated\t{NULL}\t{customer.id}\t{NULL}\t{created_json}"
            f"\t\t{ts(times[0])}\n")  # fmt: skip
        reply_channel = "email" if channel in ("web", "phone") else channel
        first_message = self.ids.message - len(times) + 1
        for j in range(1, len(times), 2):
            ids.event += 1
            new = f'{{"message_id": {first_message + j}, "channel": "{reply_channel}"}}'
            add(f"{ids.event}\t{ticket_id}\treplied\t{assignee}\t{NULL}\t{NULL}\t{new}\t\t"
                f"{ts(times[j])}\n")  # fmt: skip
        if "status" in moments:
            old = "solved" if status == "closed" and "solved" in moments else "open"
            if status == "open":
                old = "new"
            actor = NULL if status == "closed" and "solved" in moments else assignee
            ids.event += 1
            add(f'{ids.event}\t{ticket_id}\tstatus\t{actor}\t{NULL}\t"{old}"\t"{status}"\t\t'
                f"{ts(moments['status'])}\n")  # fmt: skip

    def comment_events(self, ticket_id, out, commenters) -> None:
        ts, add = self.ts, out["tickets_ticketevent"].add
        for author, comment_id, at in commenters:
            self.ids.event += 1
            new = f'{{"comment_id": {comment_id}, "mentions": []}}'
            add(f"{self.ids.event}\t{ticket_id}\tcommented\t{author}\t{NULL}\t{NULL}\t{new}\t\t"
                f"{ts(at)}\n")  # fmt: skip

    def participants(self, ticket_id, out, assignee, commenters, created) -> None:
        """The owner, and whoever commented: who may see the ticket among internal staff."""
        ts, add = self.ts, out["tickets_ticketparticipant"].add
        seen = set()
        if assignee:
            seen.add(assignee)
            self.ids.participant += 1
            add(f"{self.ids.participant}\t{ticket_id}\t{assignee}\towner\t{ts(created)}\n")
        for author, _, at in commenters:
            if author not in seen:
                seen.add(author)
                self.ids.participant += 1
                add(f"{self.ids.participant}\t{ticket_id}\t{author}\tcommented\t{ts(at)}\n")

    # -- customers, after the tickets (their first ticket dates them) ------------------------

    def customer_rows(self, out: dict[str, CopyStream]) -> None:
        ts, r = self.ts, self.rng.random
        identity_id = 0
        for c in self.customers:
            born = c.first_seen - 60 if c.first_seen else self.calendar.at(r())
            out["tickets_customer"].add(
                f"{c.id}\t{c.name}\t{c.language}\t\t{NULL}\t{ts(born)}\t{ts(born)}\n"
            )
            for kind, value, display in c.identities:
                identity_id += 1
                out["tickets_customeridentity"].add(
                    f"{identity_id}\t{c.id}\t{kind}\t{value}\t{display}\tt\t{ts(born)}\n"
                )


# ---------------------------------------------------------------------------------------------
# Indexes and foreign keys: dropped before the load, rebuilt after it
# ---------------------------------------------------------------------------------------------

FOREIGN_KEYS_SQL = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE contype = 'f' AND (conrelid = ANY(%(tables)s::regclass[])
                         OR confrelid = ANY(%(tables)s::regclass[]))
ORDER BY 1, 2
"""
INDEXES_SQL = """
SELECT t.relname, i.relname, pg_get_indexdef(x.indexrelid), c.conname, c.contype,
       c.condeferrable, c.condeferred, pg_relation_size(t.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                          AND c.contype IN ('u', 'x')
WHERE x.indrelid = ANY(%(tables)s::regclass[]) AND NOT x.indisprimary
ORDER BY 1, 2
"""


@dataclass
class Rebuild:
    """The SQL that puts back what `strip_for_load` took away, straight from the catalog."""

    indexes: list[tuple[str, str]]  # (table, CREATE INDEX ...)
    constraints: list[str]  # ALTER TABLE ... ADD CONSTRAINT ... UNIQUE USING INDEX ...
    foreign_keys: list[tuple[str, str, str]]  # (table, name, definition)

    def restore_indexes(self, params: dict) -> None:
        # GIN first (slowest, and not parallel in PostgreSQL 15), then the biggest tables:
        # two connections keep both cores busy.
        run_parallel(params, [[sql] for _, sql in self.indexes])
        conn = connect(params, autocommit=True)
        try:
            with conn.cursor() as cur:
                for sql in self.constraints:
                    cur.execute(sql)
        finally:
            conn.close()

    def restore_foreign_keys(self, params: dict) -> None:
        """Add each foreign key NOT VALID (instant), then validate them, one referencing table
        per connection (validations of different tables do not block each other)."""
        conn = connect(params, autocommit=True)
        try:
            with conn.cursor() as cur:
                for table, name, definition in self.foreign_keys:
                    cur.execute(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID'
                    )
        finally:
            conn.close()
        by_table: dict[str, list[str]] = {}
        for table, name, _ in self.foreign_keys:
            by_table.setdefault(table, []).append(
                f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'
            )
        order = {table: n for n, table in enumerate(("tickets_ticketevent", "tickets_message"))}
        tasks = sorted(by_table.items(), key=lambda item: -order.get(item[0], -1))
        run_parallel(params, [statements for _, statements in tasks])


def strip_for_load(params: dict) -> Rebuild:
    """Drop the foreign keys touching the loaded tables and their non-primary-key indexes
    and unique constraints; return the SQL to recreate them."""
    conn = connect(params)
    try:
        with conn.cursor() as cur:
            cur.execute(FOREIGN_KEYS_SQL, {"tables": list(LOADED_TABLES)})
            foreign_keys = cur.fetchall()
            cur.execute(INDEXES_SQL, {"tables": list(LOADED_TABLES)})
            indexes = cur.fetchall()
            for table, name, _ in foreign_keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild = Rebuild(indexes=[], constraints=[], foreign_keys=foreign_keys)
            costs = []
            for table, index, definition, constraint, kind, deferrable, deferred, size in indexes:
                if kind == "x":
                    raise SystemExit(f"Exclusion constraint {constraint} is not supported.")
                if constraint:
                    cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
                    timing = (" DEFERRABLE" if deferrable else "") + (
                        " INITIALLY DEFERRED" if deferred else ""
                    )
                    rebuild.constraints.append(
                        f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" '
                        f'UNIQUE USING INDEX "{index}"{timing}'
                    )
                else:
                    cur.execute(f'DROP INDEX "{index}"')
                costs.append(((" USING gin " in definition, size), (table, definition)))
            rebuild.indexes = [item for _, item in sorted(costs, reverse=True)]
        conn.commit()
    finally:
        conn.close()
    return rebuild


# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------


def copy_preparations() -> dict[str, str]:
    columns = ", ".join(TICKET_COLUMNS)
    staging = (
        f"DROP TABLE IF EXISTS {STAGING}; "
        f"CREATE UNLOGGED TABLE {STAGING} AS SELECT {columns} FROM tickets_ticket WITH NO DATA; "
        f"ALTER TABLE {STAGING} ADD COLUMN body text"
    )
    tables = [t for t in COPY_COLUMNS if t != STAGING]
    return {STAGING: staging, **{table: f"TRUNCATE {table}" for table in tables}}


def load(params: dict, generator: DeskGenerator, n: int, started: float) -> dict[str, int]:
    """Generate every row and stream it into PostgreSQL; returns rows per table."""
    step = max(n // 10, 1)
    with copy_streams(params, copy_preparations()) as out:
        for i in range(1, n + 1):
            generator.ticket(i, out)
            if i % step == 0:
                print(f"    {i:>9,} tickets  {time.monotonic() - started:7.1f}s", flush=True)
        generator.customer_rows(out)
    return {table: stream.rows for table, stream in out.items()}


def fill_tickets(params: dict, n: int) -> None:
    """Staging -> tickets_ticket with the search vector, in two halves at once (two cores)."""
    columns = ", ".join(TICKET_COLUMNS)
    half = n // 2

    def part(low: int, high: int) -> list[str]:
        return [
            f"INSERT INTO tickets_ticket ({columns}, search_vector) "
            f"SELECT {columns}, to_tsvector('russian'::regconfig, body) FROM {STAGING} "
            f"WHERE id BETWEEN {low} AND {high}"
        ]

    run_parallel(params, [part(1, half), part(half + 1, n)])
    run_sql(params, f"DROP TABLE {STAGING}", "VACUUM tickets_ticket")


def run_sql(params: dict, *statements: str) -> list:
    """Run statements in autocommit; return the last one's rows (if any)."""
    conn = connect(params, autocommit=True, session=BUILD_SESSION)
    try:
        with conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def reset_sequences(params: dict) -> None:
    """Move every id sequence past the loaded ids, and the ticket numbers past the last."""
    statements = [
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
        f"coalesce(max(id), 0) + 1, false) FROM {table}"
        for table in LOADED_TABLES
    ]
    statements.append(
        "SELECT setval('tickets_ticket_number_seq', coalesce(max(number), 999) + 1, false) "
        "FROM tickets_ticket"
    )
    run_sql(params, *statements)


def check_fixture(params: dict, ticket_id: int) -> None:
    rows = run_sql(
        params,
        "SELECT (SELECT count(*) FROM tickets_message WHERE ticket_id = t.id), "
        "(SELECT count(*) FROM comments_internalcomment WHERE ticket_id = t.id), t.status "
        f"FROM tickets_ticket t WHERE t.id = {int(ticket_id)}",
    )
    if rows != [(5, 3, "open")]:
        raise RuntimeError(f"The fixture ticket came out wrong: {rows}")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


class Phases:
    """Times each phase and prints one line per phase."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        begin = time.monotonic()
        yield
        end = time.monotonic()
        print(f"{name:<28} {end - begin:7.1f}s   (total {end - self.started:6.1f}s)", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://user@host:port/db")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="drop and recreate regardless")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.customers < 1:
        parser.error("--tickets and --customers must be positive")
    return args


def fixtures_for(args, staff: Staff, fixture: dict) -> dict:
    return {
        "ticket_with_5_messages": fixture["ticket_number"],
        "ticket_with_5_messages_id": fixture["ticket_id"],
        "customer_id": fixture["customer_id"],
        "agent_email": "agent01@bench.helpdesk",
        "agent_id": staff.agent_ids[0],
        "group_id": fixture["group_id"],
        "admin_email": "admin@bench.helpdesk",
        "internal_email": "internal01@bench.helpdesk",
        "password": BENCH_PASSWORD,
        "agents": [f"agent{n:02d}@bench.helpdesk" for n in range(1, len(AGENTS) + 1)],
        "tickets": args.tickets,
        "customers": args.customers,
        "first_number": 1000,
        "last_number": 999 + args.tickets,
        "search_terms": ["заказ", "возврат", "доставка", "refund", "invoice", "password"],
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = connection_params(args.database_url)
    phase = Phases()

    with phase("database"):
        done = prepare_database(params, tickets=args.tickets, fresh=args.fresh)
    if done is not None:
        print(f'"{params["dbname"]}" already holds a bench desk of >= {args.tickets:,} tickets.')
        print("BENCH-FIXTURES " + json.dumps(done, ensure_ascii=False), flush=True)
        return 0

    with phase("migrate"):
        setup_django(args.database_url)
        migrate()
    with phase("staff and groups (ORM)"):
        staff = create_staff()
        from django.db import connections

        connections.close_all()
    with phase("drop indexes and FKs"):
        rebuild = strip_for_load(params)
    with phase("customers (in memory)"):
        rng = random.Random(args.seed)
        customers = make_customers(rng, args.customers)
        generator = DeskGenerator(rng, staff, customers, args.tickets, time.time())
    with phase("generate + COPY"):
        rows = load(params, generator, args.tickets, phase.started)
    print("    rows: " + ", ".join(f"{t.split('_', 1)[1]} {c:,}" for t, c in rows.items()))
    with phase("search vectors + vacuum"):
        fill_tickets(params, args.tickets)
    with phase("indexes"):
        rebuild.restore_indexes(params)
    with phase("foreign keys"):
        rebuild.restore_foreign_keys(params)
    with phase("sequences + analyze"):
        reset_sequences(params)
        run_sql(params, "ANALYZE " + ", ".join(LOADED_TABLES))
        check_fixture(params, generator.fixture["ticket_id"])

    fixtures = fixtures_for(args, staff, generator.fixture)
    marker = {"generator": MARKER, "complete": True, "tickets": args.tickets,
              "seed": args.seed, "fixtures": fixtures}  # fmt: skip
    admin = connect({**params, "dbname": "postgres"}, autocommit=True)
    try:
        write_marker(admin, params["dbname"], marker)
    finally:
        admin.close()
    print(f"done: {args.tickets:,} tickets in {time.monotonic() - phase.started:.1f}s")
    print("BENCH-FIXTURES " + json.dumps(fixtures, ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
