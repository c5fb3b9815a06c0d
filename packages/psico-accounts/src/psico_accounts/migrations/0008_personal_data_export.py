import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('psico_accounts', '0007_totp_device'),
    ]

    operations = [
        migrations.CreateModel(
            name='PersonalDataExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('requested_at', models.DateTimeField(auto_now_add=True, verbose_name='requested at')),
                ('ready_at', models.DateTimeField(blank=True, null=True, verbose_name='ready at')),
                ('downloaded_at', models.DateTimeField(blank=True, null=True, verbose_name='downloaded at')),
                ('data', models.JSONField(blank=True, null=True, verbose_name='data')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='personal_data_exports', to=settings.AUTH_USER_MODEL, verbose_name='user')),
            ],
            options={
                'verbose_name': 'personal data export',
                'verbose_name_plural': 'personal data exports',
                'ordering': ['-requested_at', '-pk'],
            },
        ),
    ]
