"""JSON merge patch (RFC 7396), one implementation for every PATCH that merges: the
webhooks and triggers APIs, and configs (the API's PATCH and flows' PatchConfig)."""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`patch` applied to `target` (RFC 7396): an object merges key by key (null removes
    the key, nested objects merge); anything else replaces the target. Neither argument
    is changed."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged
