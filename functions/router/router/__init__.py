"""The router: fans events on the bus out to job specs, webhooks and triggers."""
