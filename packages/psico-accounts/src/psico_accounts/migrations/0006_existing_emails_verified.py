from django.db import migrations


def mark_existing_emails_verified(apps, schema_editor):
    """Accounts created before email verification existed count as verified, so that nothing
    they could do before (booking) is refused now."""
    User = apps.get_model("psico_accounts", "User")
    User.objects.using(schema_editor.connection.alias).filter(email_verified=False).update(
        email_verified=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("psico_accounts", "0005_device_tokens"),
    ]

    operations = [
        migrations.RunPython(mark_existing_emails_verified, migrations.RunPython.noop),
    ]
