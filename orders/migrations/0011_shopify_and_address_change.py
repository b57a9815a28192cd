from django.db import migrations


class Migration(migrations.Migration):
    # The Shopify connector and the address change were built side by side; this joins them.
    dependencies = [
        ("orders", "0010_change_shipping_address"),
        ("orders", "0010_shopify"),
    ]

    operations = []
