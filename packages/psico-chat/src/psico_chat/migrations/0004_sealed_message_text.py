"""Chat messages are sealed at rest (psico_core.sealing): the column's type stays text, its
values become Fernet tokens under the newest key of PSICO_SEALING_KEYS. Reversible: going back
stores the plain text again (with the keys that sealed it still configured)."""

import psico_core.sealing
from django.db import migrations


def seal_messages(apps, schema_editor):
    psico_core.sealing.column_seal(apps.get_model("psico_chat", "ChatMessage"), "content")


def unseal_messages(apps, schema_editor):
    psico_core.sealing.column_unseal(apps.get_model("psico_chat", "ChatMessage"), "content")


class Migration(migrations.Migration):
    dependencies = [
        ("psico_chat", "0003_message_client_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="chatmessage",
            name="content",
            field=psico_core.sealing.SealedTextField(max_length=10000, verbose_name="content"),
        ),
        migrations.RunPython(seal_messages, unseal_messages, elidable=False),
    ]
