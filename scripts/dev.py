"""`make run`: a ready-to-try ercdash on SQLite with demo data, users and an API client."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ercdash.settings")
# Local development: debug pages, no TLS redirect, static files straight from the source tree.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("ERCDASH_SSL_REDIRECT", "0")

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402

ADDRESS = os.environ.get("ERCDASH_DEV_ADDRESS", "127.0.0.1:8000")
DEMO_CLIENT = "demo client"


def main() -> None:
    django.setup()
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    base = f"http://{ADDRESS}"
    # The demo's pictures are this server's own static files: they show without internet.
    call_command("seed_demo", "--with-demo-users", "--base-url", base)
    # A fresh demo client each run: its secret is only ever shown once.
    Application.objects.filter(name=DEMO_CLIENT).delete()
    out = io.StringIO()
    call_command(
        "create_api_client",
        DEMO_CLIENT,
        "--scopes",
        "erc-ecommerce-customers:read erc-ecommerce-customers:write",
        stdout=out,
    )
    client = json.loads(out.getvalue())
    print(
        f"""
ercdash is starting on {base}

  Agent console  {base}/agent/          (agent / agent)
  Admin          {base}/admin/          (admin / admin)
  API docs       {base}/erc/ecommerce/docs

Demo API client (the secret is shown only once):
{json.dumps(client, indent=2)}

Try the API (paste into another terminal):

  TOKEN=$(curl -s -u '{client["client_id"]}:{client["client_secret"]}' \\
      -d grant_type=client_credentials {base}/oauth/token \\
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer $TOKEN" \\
      {base}/erc/ecommerce/customers/customer123/orders/order123
""",
        flush=True,
    )
    call_command("runserver", ADDRESS, use_reloader=False)


if __name__ == "__main__":
    main()
