"""What customers write, in Russian and English, by topic.

Subjects and first messages (a greeting, the problem, maybe an extra line and a second
problem, a signature), and the follow-ups of a conversation still going or done. The `{...}`
blanks are filled from a ticket's context (see `DeskGenerator.context`); every phrase must be
safe in a COPY text field as it is (`check_copy_safe` makes sure).
"""

from __future__ import annotations

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
