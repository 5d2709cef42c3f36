"""Names and nouns: what customers are called and what their messages are about.

Russian and English first and last names (with the Latin spelling their email addresses and
handles are made of), email domains, the products (Russian ones in the accusative), cities
and promo codes that fill the `{product}`, `{city}` and `{code}` blanks of the phrases, and
the two small helpers these tables are written with.
"""

from __future__ import annotations


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
