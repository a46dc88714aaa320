"""Outbound webhooks API (Zendesk /api/v2/webhooks) and triggers (/api/v2/triggers)."""
