"""EventBridge rules on the hookyard bus: one per installed job spec, subscribed webhook
or trigger, each with one SQS target whose InputTransformer names what it serves.

Names are derived from what the rule serves, so putting the same rule twice replaces
it, and a retry after a crash repairs instead of duplicating. The default quota is 300
rules per bus (adjustable; see README).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from botocore.exceptions import ClientError

from hookyard import aws

TARGET_ID = "hookyard"


def rule_name(kind: str, account_id: int, *parts: str) -> str:
    """'hy-<kind>-<account>-<hash>': at most 64 characters of [A-Za-z0-9._-]."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]
    return f"hy-{kind}-{account_id}-{digest}"


def _constant(value: Any) -> str:
    # EventBridge replaces <name> anywhere in the template, even inside a string: escape
    # the brackets so a user's name can never become a placeholder.
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e")


def input_template(fields: dict[str, Any], paths: dict[str, str]) -> tuple[dict[str, str], str]:
    """An InputTransformer whose output is `fields` (constants) plus each `paths` entry
    (name -> JSON path to an object in the event, e.g. {"event": "$.detail"}).

    Paths must lead to objects: EventBridge inserts a string's value without quotes."""
    body = ",".join(
        [f"{json.dumps(k)}:{_constant(v)}" for k, v in fields.items()] + [f"{json.dumps(k)}:<{k}>" for k in paths]
    )
    return dict(paths), "{" + body + "}"


def put_rule(
    bus: str,
    name: str,
    pattern: dict[str, Any],
    target_arn: str,
    fields: dict[str, Any],
    paths: dict[str, str],
    description: str,
    enabled: bool = True,
) -> None:
    events = aws.events()
    events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=json.dumps(pattern),
        Description=description[:512],
        State="ENABLED" if enabled else "DISABLED",
    )
    paths_map, template = input_template(fields, paths)
    events.put_targets(
        Rule=name,
        EventBusName=bus,
        Targets=[
            {
                "Id": TARGET_ID,
                "Arn": target_arn,
                "InputTransformer": {"InputPathsMap": paths_map, "InputTemplate": template},
            }
        ],
    )


def delete_rule(bus: str, name: str) -> None:
    """Remove the rule and its target; a rule that is already gone is fine."""
    events = aws.events()
    try:
        events.remove_targets(Rule=name, EventBusName=bus, Ids=[TARGET_ID])
        events.delete_rule(Name=name, EventBusName=bus)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise


def describe_rule(bus: str, name: str) -> dict[str, Any] | None:
    try:
        return dict(aws.events().describe_rule(Name=name, EventBusName=bus))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
