import datetime
import hashlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

# DRF's authtoken table, read with SQL so that rest_framework.authtoken need not stay installed.
DRF_TOKEN_TABLE = "authtoken_token"


def copy_drf_tokens(apps, schema_editor):
    """Carry DRF's tokens over as device tokens (hashed, expiring TOKEN_TTL from now), then
    delete DRF's rows: the raw keys must not stay in the database, nor work by themselves."""
    connection = schema_editor.connection
    if DRF_TOKEN_TABLE not in connection.introspection.table_names():
        return
    from psico_accounts.conf import accounts_settings

    DeviceToken = apps.get_model("psico_accounts", "DeviceToken")
    now = timezone.now()
    expires_at = now + datetime.timedelta(seconds=accounts_settings.TOKEN_TTL)
    table = schema_editor.quote_name(DRF_TOKEN_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {schema_editor.quote_name('key')}, created, user_id FROM {table}")
        rows = cursor.fetchall()
    DeviceToken.objects.using(connection.alias).bulk_create(
        [
            DeviceToken(
                user_id=user_id,
                digest=hashlib.sha256(key.encode()).hexdigest(),
                # SQLite hands raw datetimes back as text.
                created_at=created if isinstance(created, datetime.datetime) else now,
                last_used_at=now,
                expires_at=expires_at,
            )
            for key, created, user_id in rows
        ],
        batch_size=500,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")


class Migration(migrations.Migration):

    dependencies = [
        ('psico_accounts', '0004_professional_default_modality'),
    ]

    operations = [
        migrations.CreateModel(
            name='DeviceToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('digest', models.CharField(max_length=64, unique=True, verbose_name='key digest')),
                ('user_agent', models.CharField(blank=True, max_length=256, verbose_name='user agent')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('last_used_at', models.DateTimeField(verbose_name='last used at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='device_tokens', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'device token',
                'verbose_name_plural': 'device tokens',
                'ordering': ['-last_used_at', '-pk'],
                'indexes': [models.Index(fields=['user', 'revoked_at'], name='psico_acc_token_user_idx')],
            },
        ),
        migrations.RunPython(copy_drf_tokens, migrations.RunPython.noop),
    ]
