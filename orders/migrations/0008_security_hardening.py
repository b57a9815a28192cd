from django.db import migrations, models


def flag_local_cancellation_events(apps, schema_editor):
    # Orders canceled here before the flag existed: their "Canceled: …" event is ours.
    StatusEvent = apps.get_model("orders", "StatusEvent")
    StatusEvent.objects.filter(
        order__canceled_at__isnull=False, description__startswith="Canceled: "
    ).update(is_local=True)


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0007_wire_compat_fields"),
    ]

    operations = [
        migrations.AddField(
            model_name="statusevent",
            name="is_local",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(flag_local_cancellation_events, migrations.RunPython.noop),
        migrations.AddField(
            model_name="apiclientprofile",
            name="allowed_brands",
            field=models.TextField(blank=True, default=""),
        ),
        migrations.AlterField(
            model_name="accessaudit",
            name="action",
            field=models.CharField(
                choices=[
                    ("view_customer", "Viewed customer"),
                    ("view_order", "Viewed order"),
                    ("cancel_order", "Canceled order"),
                    ("export_orders", "Exported orders"),
                    ("search", "Searched"),
                ],
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="request_hash",
            field=models.CharField(default="", max_length=64),
        ),
    ]
