"""Deterministic demo order documents for seed_demo (loaded through services.orders_import)."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urljoin

import phonenumbers
import tracking_numbers
from django.conf import settings

from orders.rules import money
from orders.rules.times import rfc3339

# Fixed, so every run builds the same documents whatever the date.
ANCHOR = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SEED = 20210914

# country: currency, first names, last names, [(city, region, zip, street)]
COUNTRIES: dict[str, tuple[str, list[str], list[str], list[tuple[str, str, str, str]]]] = {
    "PT": (
        "EUR",
        ["Ana", "João", "Mariana", "Tiago", "Inês"],
        ["Silva", "Santos", "Ferreira", "Costa"],
        [
            ("Lisbon", "PT-11", "1100-148", "Rua Augusta"),
            ("Porto", "PT-13", "4000-322", "Rua de Santa Catarina"),
        ],
    ),
    "US": (
        "USD",
        ["Emily", "Michael", "Sofia", "James", "Olivia"],
        ["Johnson", "Garcia", "Miller", "Davis"],
        [
            ("New York", "US-NY", "10001", "Broadway"),
            ("San Francisco", "US-CA", "94103", "Market Street"),
            ("Austin", "US-TX", "78701", "Congress Avenue"),
        ],
    ),
    "GB": (
        "GBP",
        ["Oliver", "Amelia", "Harry", "Isla"],
        ["Smith", "Jones", "Taylor", "Brown"],
        [
            ("London", "GB-WSM", "SW1A 1AA", "Whitehall"),
            ("Manchester", "GB-MAN", "M1 1AE", "Piccadilly"),
        ],
    ),
    "JP": (
        "JPY",
        ["Haruto", "Yui", "Sota", "Aoi"],
        ["Sato", "Suzuki", "Takahashi", "Tanaka"],
        [
            ("Tokyo", "JP-13", "100-0005", "Marunouchi"),
            ("Osaka", "JP-27", "530-0001", "Umeda"),
        ],
    ),
    "KW": (
        "KWD",
        ["Fatima", "Ahmad", "Noura", "Yousef"],
        ["Al-Sabah", "Al-Mutairi", "Al-Ajmi"],
        [("Kuwait City", "KW-KU", "15000", "Gulf Road")],
    ),
    "DE": (
        "EUR",
        ["Lukas", "Mia", "Leon", "Hannah"],
        ["Müller", "Schmidt", "Schneider"],
        [
            ("Berlin", "DE-BE", "10115", "Invalidenstraße"),
            ("Munich", "DE-BY", "80331", "Marienplatz"),
        ],
    ),
    "FR": (
        "EUR",
        ["Camille", "Louis", "Chloé"],
        ["Martin", "Bernard", "Dubois"],
        [("Paris", "FR-IDF", "75001", "Rue de Rivoli")],
    ),
    "IE": (
        "EUR",
        ["Aoife", "Cian", "Saoirse"],
        ["Murphy", "Kelly", "O'Brien"],
        [("Dublin", "IE-D", "D02 X285", "Grafton Street")],
    ),
}
COUNTRY_ORDER = ["PT", "US", "GB", "JP", "KW", "DE", "FR", "IE", "US", "GB", "PT"]
# Rough exchange rates from the EUR catalogue prices.
RATES = {
    "EUR": Decimal(1),
    "USD": Decimal("1.08"),
    "GBP": Decimal("0.86"),
    "JPY": Decimal(160),
    "KWD": Decimal("0.332"),
}
BRANDS = {
    "Casa Lisboa": [
        ("CL-MUG-01", "Azulejo ceramic mug", "14.90"),
        ("CL-TIL-04", "Azulejo tile coaster set", "24.90"),
        ("CL-CRK-02", "Cork notebook", "12.50"),
        ("CL-SRD-07", "Tinned sardines gift box", "19.00"),
        ("CL-BLK-03", "Burel wool blanket", "129.00"),
    ],
    "Northwind Outdoors": [
        ("NW-TNT-2P", "Two-person trekking tent", "249.00"),
        ("NW-BAG-35", "35 L daypack", "89.95"),
        ("NW-JKT-RN", "Waterproof rain jacket", "139.00"),
        ("NW-LMP-HD", "Rechargeable head torch", "34.50"),
        ("NW-BTL-1L", "Insulated steel bottle 1 L", "29.99"),
    ],
    "Pixel & Co": [
        ("PX-EAR-NC", "Noise-cancelling earbuds", "179.00"),
        ("PX-KBD-75", "Mechanical keyboard 75%", "119.00"),
        ("PX-CHG-65", "65 W USB-C charger", "39.90"),
        ("PX-CAB-2M", "Braided USB-C cable 2 m", "14.99"),
        ("PX-MSE-WL", "Wireless mouse", "49.00"),
    ],
    "Atelier Nord": [
        ("AN-SCF-WL", "Merino wool scarf", "59.00"),
        ("AN-SWT-CR", "Cashmere crew-neck sweater", "189.00"),
        ("AN-BLT-LT", "Leather belt", "69.00"),
        ("AN-SCK-3P", "Organic cotton socks, 3 pairs", "19.50"),
    ],
}
CARD_BRANDS = ["Visa", "Mastercard", "American Express", "Maestro"]
# Who carries parcels in each country: (carrier as the shop names it, service level, number
# shape). Shapes named after a tracking-numbers product get that carrier's real check digit;
# "yamato" and "aramex" numbers are plain digits the data set does not know (so: no link).
CARRIERS: dict[str, list[tuple[str, str, str]]] = {
    "PT": [("CTT", "Correio Registado", "S10"), ("DHL", "DHL Express Worldwide", "DHL Express")],
    "US": [
        ("UPS", "UPS Ground", "UPS"),
        ("USPS", "Priority Mail", "USPS 91"),
        ("FedEx", "FedEx 2Day", "FedEx Express (12)"),
    ],
    "GB": [("Royal Mail", "Tracked 48", "S10"), ("DHL", "DHL Express", "DHL Express")],
    "JP": [("Yamato", "TA-Q-BIN", "yamato"), ("Japan Post", "Yu-Pack", "S10")],
    "KW": [("Aramex", "Aramex Express", "aramex"), ("DHL", "DHL Express", "DHL Express")],
    "DE": [("DHL", "DHL Express", "DHL Express"), ("UPS", "UPS Standard", "UPS")],
    "FR": [("UPS", "UPS Standard", "UPS"), ("DHL", "DHL Express", "DHL Express")],
    "IE": [("An Post", "Registered Post", "S10"), ("DHL", "DHL Express", "DHL Express")],
}
# The shop's own link for two postal services the carrier data set has no page for; the
# other unknown carriers' parcels get no link at all, as in real data.
SHOP_TRACKING_PAGES = {
    "CTT": "https://www.ctt.pt/feapl_2/app/open/objectSearch/objectSearch.jspx?objects={}",
    "Royal Mail": "https://www.royalmail.com/track-your-item#/tracking-results/{}",
}
# Where parcels are seen on their way, by country.
HUBS = {
    "PT": ("Lisbon hub", "Porto delivery unit"),
    "US": ("Louisville, KY", "local facility"),
    "GB": ("Heathrow hub", "local delivery office"),
    "JP": ("Tokyo base", "local branch"),
    "KW": ("Kuwait City hub", "Shuwaikh depot"),
    "DE": ("Leipzig hub", "local depot"),
    "FR": ("Paris CDG hub", "local depot"),
    "IE": ("Dublin Mail Centre", "local delivery office"),
}
# Order-level events that are about a parcel, and so also go into its own history.
PARCEL_EVENTS = {
    "IN_TRANSIT",
    "OUT_FOR_DELIVERY",
    "ATTEMPTED_DELIVERY",
    "DELIVERED",
    "FAILURE",
    "READY_FOR_PICKUP",
    "PICKED_UP",
}
STREET_NUMBERS = range(1, 220)


# The demo's pictures ship in static/demo/, so `make run` shows them offline. Order
# documents hold absolute URLs (API consumers fetch them too): seed_demo is told which
# server will serve its static files (scripts/dev.py passes the dev server's address).
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def static_url(base_url: str, path: str) -> str:
    """http://127.0.0.1:8000 + demo/x.svg -> http://127.0.0.1:8000/static/demo/x.svg; an
    absolute STATIC_URL (a CDN) wins over the base."""
    return urljoin(base_url.rstrip("/") + "/", settings.STATIC_URL + path)


def card_image(brand: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return static_url(base_url, f"demo/cards/{brand.lower().replace(' ', '-')}.svg")


def item_image(sku: str, base_url: str = DEFAULT_BASE_URL) -> str:
    return static_url(base_url, f"demo/items/{sku}.svg")


def _money(value: Decimal, currency: str) -> dict[str, Any]:
    return {"value": value, "currency": currency}


def _round(value: Decimal, currency: str) -> Decimal:
    step = Decimal(1).scaleb(-money.currency_exponent(currency))
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _price(eur: Decimal, currency: str) -> Decimal:
    return _round(eur * RATES[currency], currency)


def _event(generic: str, detailed: str, at: datetime, description: str = "") -> dict[str, Any]:
    event = {"generic_type": generic, "detailed_type": detailed, "status_date_time": rfc3339(at)}
    if description:
        event["description"] = description
    return event


DAY = timedelta(days=1)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _with_check_digit(shape: str, template: str) -> str:
    """The number with the check digit the carrier data set accepts for this shape."""
    if "{}" not in template:
        return template
    definition = tracking_numbers.get_definition(shape)
    for digit in "0123456789":
        match = definition.test(template.format(digit))
        if match is not None and match.valid:
            return template.format(digit)
    raise ValueError(f"No check digit fits the {shape} number {template}")


def seed_example(base_url: str = DEFAULT_BASE_URL) -> dict[str, Any]:
    """The endpoint document's example order, completed with a realistic history."""
    address = {
        "id": "address1234",
        "first_name": "John",
        "last_name": "Doe",
        "phone_number": "+351910000000",
        "address": "Rua Augusta 24, 2º Esq.",
        "zip_code": "1100-053",
        "city": "Lisbon",
        "region_code": "PT-11",
        "country_code": "PT",
        "default": True,
    }
    return {
        "id": "order123",
        "order_number": "#Y34DHR",
        "customer_id": "customer123",
        "brand": "Casa Lisboa",
        "purchase_datetime": "2021-09-14T12:16:50.078Z",
        "delivery_type": "SHIPPING",
        "shipping_address": address,
        "billing_address": address,
        "price_summary": {
            "original_total_amount": _money(Decimal("62.30"), "EUR"),
            "discounts_amount": _money(Decimal("6.23"), "EUR"),
            "shipping_amount": _money(Decimal("4.99"), "EUR"),
            "taxes_amount": _money(Decimal("0"), "EUR"),
            "final_total_amount": _money(Decimal("61.06"), "EUR"),
        },
        "payment_details": {
            "card_brand": "Visa",
            "card_brand_image_url": card_image("Visa", base_url),
            "card_number": "**** **** **** 4567",
            "is_refunded": False,
        },
        "payment_status": "PAID",
        "status": "Shipped",
        "custom_fields": {"gift_wrap": True, "sales_channel": "Online store"},
        "customer": {
            "id": "customer123",
            "first_name": "John",
            "last_name": "Doe",
            "email": "john.doe@example.com",
            "phone_number": "+351910000000",
            "brand": "Casa Lisboa",
            "customer_since": "2019-03-02T10:04:11.000Z",
            "custom_fields": {"loyalty_tier": "Gold", "newsletter": True},
        },
        "items": [
            {
                "id": "item-coasters",
                "name": "Azulejo tile coaster set",
                "sku": "CL-TIL-04",
                "quantity": 2,
                "price": _money(Decimal("24.90"), "EUR"),
                "image_url": item_image("CL-TIL-04", base_url),
                "description": "Set of four hand-painted tile coasters.",
            },
            {
                "id": "item-notebook",
                "name": "Cork notebook",
                "sku": "CL-CRK-02",
                "quantity": 1,
                "price": _money(Decimal("12.50"), "EUR"),
                "image_url": item_image("CL-CRK-02", base_url),
            },
        ],
        "status_history": [
            _event("CONFIRMED", "CONFIRMED", datetime(2021, 9, 14, 12, 17, 2, 310000, UTC)),
            _event(
                "ON_ITS_WAY",
                "IN_TRANSIT",
                datetime(2021, 10, 23, 12, 16, 50, 78000, UTC),
                "Handed to the carrier in Lisbon.",
            ),
        ],
        "shipments": [
            {
                "id": "order123-p1",
                "carrier": "CTT",
                "tracking_number": "RR123456785PT",
                "tracking_url": SHOP_TRACKING_PAGES["CTT"].format("RR123456785PT"),
                "service_level": "Correio Registado",
                "shipping_date": "2021-10-23T12:16:50.078Z",
                "delivery_date_start": "2021-10-25T08:00:00.000Z",
                "delivery_date_end": "2021-10-26T20:00:00.000Z",
                "items": [
                    {"item_id": "item-coasters", "quantity": 2},
                    {"item_id": "item-notebook", "quantity": 1},
                ],
                "status_history": [
                    {
                        "detailed_type": "IN_TRANSIT",
                        "status_date_time": "2021-10-23T12:16:50.078Z",
                        "description": "Handed to the carrier in Lisbon.",
                        "location": "Lisbon hub",
                    }
                ],
            }
        ],
    }


class DemoBuilder:
    def __init__(self, customers: int, seed: int = SEED, base_url: str = DEFAULT_BASE_URL) -> None:
        self.customers = customers
        self.rng = random.Random(seed)
        self.base_url = base_url

    def documents(self) -> list[dict[str, Any]]:
        documents = [seed_example(self.base_url)] if self.customers >= 1 else []
        if self.customers >= 1:
            # A few more orders for the seed customer, so their profile has a history.
            john = documents[0]["customer"]
            home = documents[0]["shipping_address"]
            for k in range(1, 4):
                documents.append(self.order(john, "PT", "Casa Lisboa", home, None, f"order123-{k}"))
        for index in range(1, self.customers):
            documents.extend(self.customer_orders(index))
        return documents

    def phone(self, country: str) -> str:
        example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
        digits = str(example.national_number)
        # Keep the operator prefix, vary the subscriber part: same length, still possible.
        keep = max(3, len(digits) - 5)
        tail = "".join(str(self.rng.randrange(10)) for _ in range(len(digits) - keep))
        return f"+{example.country_code}{digits[:keep]}{tail}"

    def address(self, customer: dict, country: str, suffix: str, *, default: bool) -> dict:
        city, region, zip_code, street = self.rng.choice(COUNTRIES[country][3])
        body = {
            "id": f"addr-{customer['id']}-{suffix}",
            "first_name": customer["first_name"],
            "last_name": customer["last_name"],
            "phone_number": customer["phone_number"],
            "address": f"{street} {self.rng.choice(STREET_NUMBERS)}",
            "zip_code": zip_code,
            "city": city,
            "region_code": region,
            "country_code": country,
            "default": default,
        }
        return body

    def customer_orders(self, index: int) -> list[dict[str, Any]]:
        rng = self.rng
        country = COUNTRY_ORDER[index % len(COUNTRY_ORDER)]
        _currency, firsts, lasts, _cities = COUNTRIES[country]
        first, last = rng.choice(firsts), rng.choice(lasts)
        brand = rng.choice(sorted(BRANDS))
        local = unicodedata.normalize("NFKD", f"{first}.{last}".lower().replace("'", ""))
        customer = {
            "id": f"cust-{index:04d}",
            "first_name": first,
            "last_name": last,
            "email": f"{local}{index}@example.com".encode("ascii", "ignore").decode(),
            "phone_number": self.phone(country),
            "brand": brand,
            "customer_since": rfc3339(ANCHOR - timedelta(days=rng.randrange(60, 2000))),
        }
        home = self.address(customer, country, "home", default=True)
        work = self.address(customer, country, "work", default=False)
        if index % 7 == 3:
            # Some source systems send addresses without ids: matched by content on import.
            del work["id"]
        return [
            self.order(customer, country, brand, home, work, f"ord-{index:04d}-{k}")
            for k in range(1, rng.randint(1, 4) + 1)
        ]

    def order(
        self,
        customer: dict,
        country: str,
        brand: str,
        home: dict,
        work: dict | None,
        order_id: str,
    ) -> dict[str, Any]:
        rng = self.rng
        currency = COUNTRIES[country][0]
        purchased = ANCHOR - timedelta(
            days=rng.randrange(0, 120),
            seconds=rng.randrange(86400),
            milliseconds=rng.randrange(1000),
        )
        delivery = rng.choices(
            ["SHIPPING", "LOCAL_DELIVERY", "LOCAL_PICKUP", "UNKNOWN"], weights=[5, 2, 2, 1]
        )[0]
        catalogue = BRANDS[brand]
        items = []
        for position, (sku, name, eur) in enumerate(rng.sample(catalogue, rng.randint(1, 3))):
            items.append(
                {
                    "id": f"{order_id}-i{position + 1}",
                    "name": name,
                    "sku": sku,
                    "quantity": rng.choices([1, 2, 3], weights=[6, 3, 1])[0],
                    "price": _money(_price(Decimal(eur), currency), currency),
                    "image_url": item_image(sku, self.base_url),
                }
            )
        original = sum(item["price"]["value"] * item["quantity"] for item in items)
        discounted = rng.random() < 0.3
        discount = _round(original * Decimal("0.1"), currency) if discounted else Decimal(0)
        shipping = Decimal(0) if delivery == "LOCAL_PICKUP" else _price(Decimal("4.99"), currency)
        # US prices are shown before sales tax; elsewhere VAT is included in the item prices.
        sales_tax = Decimal("0.08") if country == "US" else Decimal(0)
        taxes = _round((original - discount) * sales_tax, currency)
        final = original - discount + shipping + taxes
        card = rng.choice(CARD_BRANDS)

        history, canceled, refunded = self.history(purchased, delivery)
        parcels = self.shipments(order_id, country, items, history)
        document: dict[str, Any] = {
            "id": order_id,
            "order_number": "#" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=6)),
            "customer_id": customer["id"],
            "brand": brand,
            "purchase_datetime": rfc3339(purchased),
            "delivery_type": delivery,
            "shipping_address": work if (work and rng.random() < 0.3) else home,
            "billing_address": home,
            "price_summary": {
                "original_total_amount": _money(original, currency),
                "discounts_amount": _money(discount, currency),
                "shipping_amount": _money(shipping, currency),
                "taxes_amount": _money(taxes, currency),
                "final_total_amount": _money(final, currency),
            },
            "payment_details": {
                "card_brand": card,
                "card_brand_image_url": card_image(card, self.base_url),
                "card_number": f"**** **** **** {rng.randrange(10000):04d}",
                "is_refunded": refunded,
            },
            # The payment as a shop reports it (Shopify's financial_status, upper-cased).
            "payment_status": "REFUNDED" if refunded else "VOIDED" if canceled else "PAID",
            "customer": customer,
            "items": items,
            "status_history": history,
        }
        if canceled:
            document["cancellation_status"] = "CANCELED"
        if parcels:
            document["shipments"] = parcels
        return document

    def number_template(self, shape: str) -> str:
        """A number of the carrier's shape; "{}" marks where a known shape's check digit goes
        and "{country}" the S10 country code."""
        rng = self.rng

        def digits(count: int) -> str:
            return "".join(str(rng.randrange(10)) for _ in range(count))

        if shape == "yamato":
            return digits(12)
        if shape == "aramex":
            return digits(11)
        if shape == "S10":
            template = rng.choice(["RR", "RB", "LX", "CP"]) + digits(8) + "{}" + "{country}"
        elif shape == "UPS":
            shipper = "".join(rng.choices("ABCDEFGHJKLMNPRSTUVWXY0123456789", k=6))
            template = f"1Z{shipper}{rng.choice(['03', '02', '01'])}{digits(7)}" + "{}"
        elif shape == "USPS 91":
            template = "9400" + digits(17) + "{}"
        else:
            template = digits(11 if shape == "FedEx Express (12)" else 9) + "{}"
        return template

    def shipments(
        self, order_id: str, country: str, items: list[dict], history: list[dict]
    ) -> list[dict[str, Any]]:
        """The parcels of the order's story: none before it leaves; one, or a split in two
        (both parts travelling, or the second not sent yet), afterwards."""
        rng = self.rng
        events = [event for event in history if event["detailed_type"] in PARCEL_EVENTS]
        if not events:
            return []
        options = CARRIERS[country]  # the first is the country's usual carrier
        carrier, service, shape = rng.choices(options, weights=[3] + [1] * (len(options) - 1))[0]
        lines = [{"item_id": item["id"], "quantity": item["quantity"]} for item in items]
        split = len(lines) >= 2 and rng.random() < 0.4
        if not split:
            return [self.parcel(f"{order_id}-p1", country, carrier, service, shape, lines, events)]
        first = self.parcel(f"{order_id}-p1", country, carrier, service, shape, lines[:1], events)
        if rng.random() < 0.5:
            return [first]  # the rest is not shipped yet
        # The second part left a day later and is one step behind the first.
        later = [
            {**event, "status_date_time": rfc3339(_parse(event["status_date_time"]) + DAY)}
            for event in (events[:-1] if len(events) > 1 else events)
        ]
        second = self.parcel(f"{order_id}-p2", country, carrier, service, shape, lines[1:], later)
        return [first, second]

    def parcel(
        self,
        shipment_id: str,
        country: str,
        carrier: str,
        service: str,
        shape: str,
        lines: list[dict],
        events: list[dict],
    ) -> dict[str, Any]:
        rng = self.rng
        template = self.number_template(shape)
        number = _with_check_digit(shape, template.replace("{country}", country))
        sent = _parse(events[0]["status_date_time"])
        first_hub, last_hub = HUBS[country]
        history = []
        for event in events:
            step = {
                "detailed_type": event["detailed_type"],
                "status_date_time": event["status_date_time"],
            }
            if event.get("description"):
                step["description"] = event["description"]
            step["location"] = first_hub if event["detailed_type"] == "IN_TRANSIT" else last_hub
            history.append(step)
        body: dict[str, Any] = {
            "id": shipment_id,
            "carrier": carrier,
            "tracking_number": number,
        }
        if carrier in SHOP_TRACKING_PAGES:
            body["tracking_url"] = SHOP_TRACKING_PAGES[carrier].format(number)
        promised = sent.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
            days=rng.randint(2, 4)
        )
        body.update(
            {
                "service_level": service,
                "shipping_date": rfc3339(sent),
                "delivery_date_start": rfc3339(promised + timedelta(hours=8)),
                "delivery_date_end": rfc3339(promised + timedelta(hours=20)),
                "items": lines,
                "status_history": history,
            }
        )
        return body

    def history(self, purchased: datetime, delivery: str) -> tuple[list[dict], bool, bool]:
        """(events oldest first, canceled, refunded) for one of a few realistic stories."""
        rng = self.rng
        at = purchased + timedelta(minutes=rng.randrange(1, 30), milliseconds=rng.randrange(1000))

        def later(hours: int) -> datetime:
            nonlocal at
            at = at + timedelta(hours=rng.randrange(1, hours), minutes=rng.randrange(60))
            return at

        events = [_event("CONFIRMED", "CONFIRMED", at, "Payment authorised.")]
        story = rng.choices(
            ["confirmed", "in_transit", "out", "delivered", "attempted", "failed", "canceled",
             "refunded"],
            weights=[2, 3, 2, 5, 2, 1, 2, 1],
        )[0]  # fmt: skip
        if story == "canceled":
            return events, True, rng.random() < 0.7
        if story == "confirmed":
            return events, False, False
        if delivery == "LOCAL_PICKUP":
            events.append(_event("ON_ITS_WAY", "IN_TRANSIT", later(24), "On its way to the store."))
            if story in ("in_transit",):
                return events, False, False
            events.append(
                _event(
                    "OUT_FOR_DELIVERY", "READY_FOR_PICKUP", later(48), "Ready at the store counter."
                )
            )
            if story in ("out", "attempted", "failed"):
                return events, False, False
            events.append(_event("DELIVERED", "PICKED_UP", later(72), "Picked up by the customer."))
            return events, False, story == "refunded"

        events.append(_event("ON_ITS_WAY", "IN_TRANSIT", later(24), "Handed to the carrier."))
        if story == "in_transit":
            return events, False, False
        if story == "failed":
            events.append(
                _event("ON_ITS_WAY", "FAILURE", later(48), "Parcel damaged in transit; returning.")
            )
            return events, False, rng.random() < 0.5
        events.append(_event("OUT_FOR_DELIVERY", "OUT_FOR_DELIVERY", later(48)))
        if story == "out":
            return events, False, False
        if story == "attempted":
            events.append(
                _event(
                    "OUT_FOR_DELIVERY", "ATTEMPTED_DELIVERY", later(6), "Nobody at home; card left."
                )
            )
            events.append(
                _event("OUT_FOR_DELIVERY", "OUT_FOR_DELIVERY", later(24), "Second attempt.")
            )
            if rng.random() < 0.5:
                return events, False, False
        events.append(_event("DELIVERED", "DELIVERED", later(8), "Delivered to the front door."))
        return events, False, story == "refunded"
