"""Value rules: one home per rule, used alike by admin, import, API and console.

ids, money (currencies, amounts, totals), places (countries, regions), phones, cards (card
numbers and masked cards), text (folding, free text), actors (who did it), times (RFC 3339),
custom_fields (the source's key/value pairs), statuses (a source's payment status) and
actions (what an order's state allows: the action flags and the actions use the same rule).
Each rule raises django.core.exceptions.ValidationError with a message that never repeats the
value (a value may be a payment card number). Nothing here touches the database.
"""
