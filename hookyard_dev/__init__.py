"""Hookyard's local tooling (not deployed): `hookyard dev`, `hookyard invoke`, build checks."""
