"""Value rules: one home per rule, used alike by admin, import, API and console.

ids, money (currencies, amounts, totals), places (countries, regions), phones, cards (card
numbers and masked cards), text (folding, free text), actors (who did it) and times (RFC 3339).
Each rule raises django.core.exceptions.ValidationError with a message that never repeats the
value (a value may be a payment card number). Nothing here touches the database.
"""
