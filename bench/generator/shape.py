"""The shape of the desk: the proportions every random draw is weighted by.

How long the history is, the status mix and how recent each status is, priorities, channels
and the identity kinds they need, how many identities and messages there are, reply times,
how many tickets get internal comments, the daily and weekly rhythm, the groups, agents and
internal staff, the tags, and the topics tickets are about with the group each escalates to.
"""

from __future__ import annotations

HISTORY_DAYS = 730

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

TOPICS = ("order", "refund", "delivery", "password", "promo", "invoice")
# Topic -> tag it usually carries, and the group that handles it past the first line.
TOPIC_ESCALATION = {"order": "esc", "refund": "billing", "delivery": "esc",
                    "password": "esc", "promo": "billing", "invoice": "billing"}  # fmt: skip
