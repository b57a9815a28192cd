"""Who did it, as text that survives user deletion: audit rows and cancellations carry it."""

from __future__ import annotations


def agent(username: str) -> str:
    """A person in the agent console."""
    return f"agent:{username}"


def admin(username: str) -> str:
    """A person in Django admin."""
    return f"admin:{username}"


def client(client_id: str) -> str:
    """An OAuth API client (never a person)."""
    return f"client:{client_id}"


def command(login: str) -> str:
    """Whoever ran a management command on a server."""
    return f"cli:{login}"
