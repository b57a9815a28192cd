"""Shopify: webhook deliveries and REST exports of a shop's orders, as order documents."""
