"""Connectors: other platforms' orders turned into order documents for the one import path."""
