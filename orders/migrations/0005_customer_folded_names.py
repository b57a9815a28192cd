from django.db import migrations, models


def backfill(apps, schema_editor):
    from orders.rules.text import fold

    Customer = apps.get_model("orders", "Customer")
    for customer in Customer.objects.only("pk", "first_name", "last_name").iterator():
        Customer.objects.filter(pk=customer.pk).update(
            first_name_folded=fold(customer.first_name),
            last_name_folded=fold(customer.last_name),
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_order_document")]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="first_name_folded",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
        migrations.AddField(
            model_name="customer",
            name="last_name_folded",
            field=models.CharField(blank=True, editable=False, max_length=150),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
