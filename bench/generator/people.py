"""The people: staff and groups made with the ORM, customers made in memory.

`create_staff` creates the admin, agent01..agent20 in their groups and the internal staff
(all with the benchmark password) and returns their ids as `Staff`. `make_customers` draws
the customers (`CustomerProfile`: a Russian or English name and one to three identities,
each unique because it is built from the customer's id) that the tickets are spread over;
`customer_pools` sorts them by the identity kind a ticket's channel needs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.generator.distributions import Weighted
from bench.generator.names import DOMAINS, EN_FIRST, EN_LAST, RU_FEMALE, RU_LAST, RU_MALE
from bench.generator.shape import AGENTS, GROUPS, IDENTITY_COUNT, IDENTITY_KINDS, INTERNAL_STAFF

BENCH_PASSWORD = "bench-password"  # noqa: S105 - a benchmark login, printed on purpose

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
