"""Zendesk as an event source: its webhook events, translated to ZIS's (events.json)."""
