"""Pydantic models: requests (extra fields forbidden), responses, and domain records."""
