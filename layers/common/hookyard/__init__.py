"""Hookyard's shared layer: models, data access, auth, config and API plumbing."""
