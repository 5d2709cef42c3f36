"""What agents write, in Russian and English: answers by topic, and internal comments.

An agent's reply is a greeting, the answer (the first one by topic, later ones from the
follow-ups of a conversation still going or done) and a closing; internal comments are the
notes agents and internal staff leave on a ticket. Blanks and COPY safety as for the
customers' phrases.
"""

from __future__ import annotations

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
