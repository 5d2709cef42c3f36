"""Factories: realistic rows, fast. Tickets made here skip the services on purpose (for
volume in query-count tests); behaviour tests go through the services."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Role, User
from comments.models import InternalComment
from tickets.models import (
    Channel,
    Customer,
    CustomerIdentity,
    Direction,
    Group,
    IdentityKind,
    Message,
    Ticket,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@desk.example")
    full_name = factory.Faker("name")
    role = Role.AGENT
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        self.save()
        if extracted:
            self.support_groups.add(*extracted)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Group {n}")
    tier = 1


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerIdentity

    customer = factory.SubFactory(CustomerFactory)
    kind = IdentityKind.EMAIL
    value = factory.Sequence(lambda n: f"customer{n}@mail.example")


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    subject = factory.Faker("sentence", nb_words=5)
    channel = Channel.EMAIL
    customer = factory.SubFactory(CustomerFactory)
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    ticket = factory.SubFactory(TicketFactory)
    direction = Direction.IN
    channel = Channel.EMAIL
    author_customer = factory.SelfAttribute("ticket.customer")
    text = factory.Faker("paragraph")


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InternalComment

    ticket = factory.SubFactory(TicketFactory)
    author = factory.SubFactory(UserFactory)
    text = factory.Faker("sentence")
