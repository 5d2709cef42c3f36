from django.db import migrations

ENGLISH = """Hello{% if customer_name %}, {{ customer_name }}{% endif %},

We received your request and gave it the number #{{ number }} ("{{ subject }}").
An agent will answer you here by email; usually within one business day.

You can follow your request and add to it at any time:
{{ status_url }}

To add something, just reply to this email.
"""

RUSSIAN = """Здравствуйте{% if customer_name %}, {{ customer_name }}{% endif %}!

Мы получили ваше обращение и присвоили ему номер #{{ number }} («{{ subject }}»).
Специалист поддержки ответит вам на это письмо — обычно в течение рабочего дня.

Следить за обращением и дополнять его можно здесь:
{{ status_url }}

Чтобы что-то добавить, просто ответьте на это письмо.
"""


def create(apps, schema_editor):
    template = apps.get_model("channels_inbound", "AutoReplyTemplate")
    template.objects.get_or_create(language="en", defaults={"body": ENGLISH})
    template.objects.get_or_create(language="ru", defaults={"body": RUSSIAN})


class Migration(migrations.Migration):
    dependencies = [("channels_inbound", "0003_autoreplytemplate_mailbox")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
