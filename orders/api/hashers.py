"""A cheap password hasher for OAuth client secrets only (OAUTH2_PROVIDER CLIENT_SECRET_HASHER).

Password hashers are slow on purpose: people choose guessable passwords, so each guess
against a leaked hash must cost a lot. Client secrets are not chosen by people: DOT
generates every one (create_api_client, the admin's add and rotate) as 128 characters
drawn from 62 by the operating system's CSPRNG, about 762 bits of entropy. Nothing can
search that space, whether one guess costs one hash or a million, so Django's 1,000,000
PBKDF2 iterations buy no safety here and cost about half a second of CPU on every token
request. DOT itself stores access tokens as plain SHA-256 checksums for the same reason. The
few thousand iterations kept are margin, not the defence.

Secrets hashed earlier with Django's default hasher still verify (it stays in
PASSWORD_HASHERS); they move to this hasher when the secret is rotated.
"""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class ClientSecretHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_sha256_client"
    # About 2.5 ms per check on the 2-core development machine, where Django 5.2's default
    # 1,000,000 iterations take about 580 ms (timeit, best of 5 x 300 checks).
    iterations = 5_000
