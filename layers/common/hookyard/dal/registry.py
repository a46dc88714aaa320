"""The ZIS registry in the config table.

Items (PK=ACCOUNT#<id>):
  SK=INTEGRATION#<integration>                  the integration
  SK=BUNDLE#<integration>#<bundle name>         the validated bundle document (last upload wins)
  SK=FLOW#<integration>#<bundle>#<flow name>    one of its flows as the flow runner runs it (the
                                                validated definition and the actions it calls)
  SK=JOBSPEC#<integration>#<job spec name>      the job spec, its bundle and install state

An installed job spec has one route in the subscription index (hookyard.routing), written
and removed in the same transaction as the job spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hookyard import aws, clock, ids
from hookyard.dal.accounts import account_pk
from hookyard.dynamo import from_item, key, mapped_errors, query_all, query_page, to_item
from hookyard.errors import NotFound
from hookyard.flows.runnable import RunnableFlow, from_document
from hookyard.models.registry import BundleDocument, Integration, JobSpecRecord


class RegistryRepository:
    def __init__(self, table: str) -> None:
        self.table = table

    # ------------------------------------------------------------ integrations
    def create_integration(self, account_id: int, name: str, description: str) -> Integration:
        integration = Integration(name=name, description=description, created_at=clock.now())
        with mapped_errors(conflict=f"integration {name} already exists"):
            aws.dynamodb().put_item(
                TableName=self.table,
                Item=to_item(
                    {
                        "PK": account_pk(account_id),
                        "SK": f"INTEGRATION#{name}",
                        "name": name,
                        "description": description,
                        "created_at": clock.iso(integration.created_at),
                    }
                ),
                ConditionExpression="attribute_not_exists(PK)",
            )
        return integration

    def get_integration(self, account_id: int, name: str) -> Integration:
        out = aws.dynamodb().get_item(TableName=self.table, Key=key(account_pk(account_id), f"INTEGRATION#{name}"))
        if "Item" not in out:
            raise NotFound()
        item = from_item(out["Item"])
        return Integration(name=item["name"], description=item["description"], created_at=item["created_at"])

    def list_integrations(self, account_id: int) -> list[Integration]:
        items = self._query(account_pk(account_id), "INTEGRATION#")
        return [Integration(name=i["name"], description=i["description"], created_at=i["created_at"]) for i in items]

    # ------------------------------------------------------------ bundles
    def get_bundle_by_name(self, account_id: int, integration: str, name: str) -> BundleDocument | None:
        out = aws.dynamodb().get_item(
            TableName=self.table, Key=key(account_pk(account_id), f"BUNDLE#{integration}#{name}"), ConsistentRead=True
        )
        return _bundle(from_item(out["Item"])) if "Item" in out else None

    def put_bundle(
        self, account_id: int, integration: str, document: dict[str, Any], flows: Mapping[str, RunnableFlow]
    ) -> BundleDocument:
        """Store a validated bundle and its flows as the runner runs them; a re-upload keeps
        the bundle's uuid and creation time, and removes the flows it no longer has."""
        now = clock.now()
        previous = self.get_bundle_by_name(account_id, integration, document["name"])
        bundle = BundleDocument(
            uuid=previous.uuid if previous else ids.new_uuid(),
            name=document["name"],
            description=document.get("description") or "",
            zis_template_version=document["zis_template_version"],
            resources=document["resources"],
            created_at=previous.created_at if previous else now,
            updated_at=now,
        )
        pk = account_pk(account_id)
        prefix = _flow_prefix(integration, bundle.name)
        stale = [item["SK"] for item in self._query(pk, prefix) if item["SK"].removeprefix(prefix) not in flows]
        # The flows first: an event meanwhile runs the new flow or the old one, never none.
        self._batch_write(
            [
                {
                    "PutRequest": {
                        "Item": to_item(
                            {
                                "PK": pk,
                                "SK": prefix + name,
                                # JSON text, as the document: definitions may hold floats.
                                "flow": json.dumps(flow.to_json(), separators=(",", ":")),
                            }
                        )
                    }
                }
                for name, flow in flows.items()
            ]
        )
        aws.dynamodb().put_item(
            TableName=self.table,
            Item=to_item(
                {
                    "PK": pk,
                    "SK": f"BUNDLE#{integration}#{bundle.name}",
                    "uuid": bundle.uuid,
                    "name": bundle.name,
                    "description": bundle.description,
                    "zis_template_version": bundle.zis_template_version,
                    # Stored as JSON text: bundles are read whole and may hold floats.
                    "resources": json.dumps(bundle.resources, separators=(",", ":")),
                    "created_at": clock.iso(bundle.created_at),
                    "updated_at": clock.iso(bundle.updated_at),
                }
            ),
        )
        self._batch_write([{"DeleteRequest": {"Key": key(pk, sk)}} for sk in stale])
        return bundle

    def get_flow(self, account_id: int, integration: str, bundle: str, flow: str) -> RunnableFlow | None:
        """The flow `flow` (short name) of the bundle as the runner runs it, or None when
        the bundle no longer has it. A bundle stored before flows were kept this way is
        read from its document, without validating it again (hookyard.flows.runnable)."""
        out = aws.dynamodb().get_item(
            TableName=self.table,
            Key=key(account_pk(account_id), _flow_prefix(integration, bundle) + flow),
            ConsistentRead=True,
        )
        if "Item" in out:
            return RunnableFlow.from_json(json.loads(out["Item"]["flow"]["S"]))
        document = self.get_bundle_by_name(account_id, integration, bundle)
        return from_document(document.resources, flow) if document is not None else None

    def list_bundles(
        self, account_id: int, integration: str, limit: int, after: str | None
    ) -> tuple[list[BundleDocument], str | None]:
        items, cursor = query_page(
            aws.dynamodb(), self.table, account_pk(account_id), f"BUNDLE#{integration}#", limit, after
        )
        return [_bundle(i) for i in items], cursor

    def get_bundle_by_uuid(self, account_id: int, integration: str, uuid: str) -> BundleDocument:
        for item in self._query(account_pk(account_id), f"BUNDLE#{integration}#"):
            if item["uuid"] == uuid:
                return _bundle(item)
        raise NotFound()

    # ------------------------------------------------------------ job specs
    def list_job_specs(self, account_id: int, integration: str) -> list[JobSpecRecord]:
        return [_job_spec(i) for i in self._query(account_pk(account_id), f"JOBSPEC#{integration}#")]

    def get_job_spec(self, account_id: int, integration: str, name: str) -> JobSpecRecord:
        out = aws.dynamodb().get_item(
            TableName=self.table,
            Key=key(account_pk(account_id), f"JOBSPEC#{integration}#{name}"),
            ConsistentRead=True,
        )
        if "Item" not in out:
            raise NotFound()
        return _job_spec(from_item(out["Item"]))

    def save_job_spec(self, record: JobSpecRecord, previous: JobSpecRecord | None) -> JobSpecRecord:
        """Store `record` over `previous` (the job spec as read; None for a new one), with
        its route following (written while installed, removed otherwise) in the same
        transaction; a concurrent change is a Conflict. Returns the stored record."""
        # Imported here, not with the module: only installing and uninstalling write
        # routes, and the flow runner, which reads job specs, never does (routing brings
        # the webhook and trigger models, about 30 ms of a cold start).
        from hookyard import routing
        from hookyard.dal import routes

        stored = record.model_copy(update={"version": previous.version + 1 if previous else 1})
        removed, added = routing.changes(
            routing.job_spec_routes(previous) if previous else [], routing.job_spec_routes(stored)
        )
        put: dict[str, Any] = {"TableName": self.table, "Item": self._job_spec_item(stored)}
        if previous is None:
            put["ConditionExpression"] = "attribute_not_exists(PK)"
        else:
            put |= _version_is(previous.version)
        writes = [{"Put": put}, *routes.deletes(self.table, removed), *routes.puts(self.table, added)]
        with mapped_errors(conflict=f"{record.full_name} changed meanwhile; retry"):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        return stored

    def delete_job_spec(self, record: JobSpecRecord) -> None:
        """Remove the job spec (as read) and its route."""
        from hookyard import routing  # on first use, as in save_job_spec
        from hookyard.dal import routes

        delete = {
            "TableName": self.table,
            "Key": key(account_pk(record.account_id), f"JOBSPEC#{record.integration}#{record.name}"),
            **_version_is(record.version),
        }
        writes = [{"Delete": delete}, *routes.deletes(self.table, routing.job_spec_routes(record))]
        with mapped_errors(conflict=f"{record.full_name} changed meanwhile; retry"):
            aws.dynamodb().transact_write_items(TransactItems=writes)  # type: ignore[arg-type]

    # ------------------------------------------------------------ helpers
    def _query(self, pk: str, prefix: str) -> list[dict[str, Any]]:
        return list(query_all(aws.dynamodb(), self.table, pk, prefix))

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), 25):  # DynamoDB's most per batch
            pending: dict[str, Any] = {self.table: requests[start : start + 25]}
            while pending:
                pending = aws.dynamodb().batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

    def _job_spec_item(self, record: JobSpecRecord) -> dict[str, Any]:
        return to_item(
            {
                "PK": account_pk(record.account_id),
                "SK": f"JOBSPEC#{record.integration}#{record.name}",
                **record.model_dump(),
            }
        )


def _flow_prefix(integration: str, bundle: str) -> str:
    # Names never hold "#" (hookyard.flows.bundle.NAME), so one bundle's prefix is no other's.
    return f"FLOW#{integration}#{bundle}#"


def _version_is(version: int) -> dict[str, Any]:
    return {
        "ConditionExpression": "attribute_exists(PK) AND #version = :expected",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":expected": {"N": str(version)}},
    }


def _bundle(item: dict[str, Any]) -> BundleDocument:
    return BundleDocument(
        uuid=item["uuid"],
        name=item["name"],
        description=item["description"],
        zis_template_version=item["zis_template_version"],
        resources=json.loads(item["resources"]),
        created_at=item["created_at"],
        updated_at=item["updated_at"],
    )


def _job_spec(item: dict[str, Any]) -> JobSpecRecord:
    return JobSpecRecord.model_validate({k: v for k, v in item.items() if k not in ("PK", "SK")})
