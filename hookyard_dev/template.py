"""Read `template.yaml`: the one description of routes, functions, tables, buses and
queues that `hookyard dev`, the tests and `sam deploy` all share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short-form tags (!Ref, !Sub, !GetAtt, ...)."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def _ref_target(value: Any) -> str:
    """The logical id in `!Ref Name` (a function's layers are refs to layers in the template)."""
    if not (isinstance(value, dict) and set(value) == {"Ref"}):
        raise ValueError(f"hookyard dev reads layers given as !Ref to a layer of the template, not {value!r}")
    return str(value["Ref"])


@dataclass(frozen=True)
class ApiRoute:
    function_id: str
    method: str
    path: str  # as in the template: /a/{b}/c
    authorizer: str | None  # None: no auth

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        regex = re.sub(r"\\\{([A-Za-z0-9_]+)\\\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")

    @property
    def static_segments(self) -> int:
        return sum(1 for part in self.path.split("/") if part and not part.startswith("{"))


@dataclass(frozen=True)
class SqsMapping:
    function_id: str
    queue_id: str
    batch_size: int
    report_failures: bool
    max_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency, if set


@dataclass(frozen=True)
class Authorizer:
    name: str
    function_id: str
    identity_headers: tuple[str, ...]
    ttl_seconds: int


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    code_uri: str
    handler: str
    environment: dict[str, str]
    timeout: int
    memory: int
    routes: tuple[ApiRoute, ...] = ()
    sqs: tuple[SqsMapping, ...] = ()
    layers: tuple[str, ...] = ()  # layer logical ids: Globals' first, then the function's (SAM appends lists)
    system_log_level: str = "INFO"  # LoggingConfig.SystemLogLevel: INFO writes START and REPORT lines

    @property
    def module(self) -> str:
        return self.handler.rsplit(".", 1)[0]

    @property
    def function_name(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class ApiSpec:
    stage: str
    routes: tuple[ApiRoute, ...]
    authorizers: dict[str, Authorizer]
    gateway_responses: dict[str, tuple[int, str]]


@dataclass
class Template:
    path: Path
    doc: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    # Filled in by whoever creates the resources, so !Ref resolves to what was created
    # (a queue's URL, a KMS key's id).
    queue_urls: dict[str, str] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path = "template.yaml", parameters: dict[str, str] | None = None) -> Template:
        path = Path(path)
        doc = yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
        values = {name: str(spec["Default"]) for name, spec in doc.get("Parameters", {}).items() if "Default" in spec}
        values.update(parameters or {})
        return cls(path=path, doc=doc, parameters=values)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.doc["Resources"]  # type: ignore[no-any-return]

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: res for name, res in self.resources.items() if res["Type"] == kind}

    # ------------------------------------------------------------ physical names
    def physical_name(self, logical_id: str) -> str:
        res = self.resources[logical_id]
        props = res.get("Properties", {})
        for name_prop in ("TableName", "QueueName", "Name", "FunctionName"):
            if name_prop in props:
                return str(self.resolve(props[name_prop]))
        return logical_id

    def arn(self, logical_id: str) -> str:
        kind = self.resources[logical_id]["Type"]
        name = self.physical_ids.get(logical_id) or self.physical_name(logical_id)
        return {
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
            "AWS::Events::EventBus": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{name}",
            "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        }.get(kind, f"arn:aws:hookyard-dev:{REGION}:{ACCOUNT}:{name}")

    def ref(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": "hookyard-dev",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
        }
        if name in pseudo:
            return pseudo[name]
        if name not in self.resources:
            raise KeyError(f"!Ref {name}: no such parameter or resource (and no default)")
        if name in self.physical_ids:
            return self.physical_ids[name]
        if self.resources[name]["Type"] == "AWS::SQS::Queue":
            return (
                self.queue_urls.get(name) or f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.physical_name(name)}"
            )
        return self.physical_name(name)

    def get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        if attribute in ("QueueName", "Name"):
            return self.physical_name(logical_id)
        if attribute == "QueueUrl":
            return self.ref(logical_id)
        raise KeyError(f"!GetAtt {logical_id}.{attribute} is not supported by hookyard dev")

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsic functions the template uses, with local physical names."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if fn == "Fn::Sub":
                text, extra = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self._sub(m.group(1), extra)), text)
            if fn == "Fn::Join":
                sep, items = arg
                return sep.join(str(self.resolve(i)) for i in items)
            if fn == "Fn::FindInMap":
                mapping, top, second = (self.resolve(a) for a in arg)
                return self.doc["Mappings"][mapping][top][second]
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, name: str, extra: dict[str, Any]) -> str:
        if name in extra:
            return str(extra[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)

    # ------------------------------------------------------------ functions and API
    @cached_property
    def functions(self) -> dict[str, FunctionSpec]:
        defaults = self.doc.get("Globals", {}).get("Function", {})
        specs = {}
        for logical_id, res in self.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = {
                **defaults.get("Environment", {}).get("Variables", {}),
                **props.get("Environment", {}).get("Variables", {}),
            }
            logging = self.resolve({**defaults.get("LoggingConfig", {}), **props.get("LoggingConfig", {})})
            if logging.get("LogFormat") == "JSON":
                # What Lambda sets for a function with advanced logging controls (Powertools
                # reads the level, ahead of POWERTOOLS_LOG_LEVEL).
                env = {
                    "AWS_LAMBDA_LOG_FORMAT": "JSON",
                    "AWS_LAMBDA_LOG_LEVEL": logging.get("ApplicationLogLevel", "INFO"),
                    **env,
                }
            routes, mappings = [], []
            for event in props.get("Events", {}).values():
                ep = event.get("Properties", {})
                if event["Type"] == "Api":
                    auth = ep.get("Auth", {}).get("Authorizer", self._default_authorizer())
                    routes.append(
                        ApiRoute(logical_id, ep["Method"].upper(), ep["Path"], None if auth == "NONE" else auth)
                    )
                elif event["Type"] == "HttpApi":
                    # An HTTP API (payload format 1.0: the same event shape), served on the
                    # same local port; Hookyard's HTTP API routes have no authorizer.
                    routes.append(ApiRoute(logical_id, ep["Method"].upper(), ep["Path"], None))
                elif event["Type"] == "SQS":
                    queue = ep["Queue"]
                    queue_id = queue["Fn::GetAtt"][0] if isinstance(queue, dict) else queue
                    scaling = self.resolve(ep.get("ScalingConfig", {}))
                    mappings.append(
                        SqsMapping(
                            logical_id,
                            queue_id,
                            int(ep.get("BatchSize", 10)),
                            "ReportBatchItemFailures" in ep.get("FunctionResponseTypes", []),
                            int(scaling["MaximumConcurrency"]) if "MaximumConcurrency" in scaling else None,
                        )
                    )
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                code_uri=props["CodeUri"],
                handler=props.get("Handler", defaults.get("Handler")),
                environment={k: str(self.resolve(v)) for k, v in env.items()},
                timeout=int(props.get("Timeout", defaults.get("Timeout", 3))),
                memory=int(props.get("MemorySize", defaults.get("MemorySize", 128))),
                system_log_level=str(logging.get("SystemLogLevel", "INFO")),
                routes=tuple(routes),
                sqs=tuple(mappings),
                layers=tuple(_ref_target(layer) for layer in [*defaults.get("Layers", []), *props.get("Layers", [])]),
            )
        return specs

    def _api_props(self) -> dict[str, Any]:
        apis = self.of_type("AWS::Serverless::Api")
        if len(apis) != 1:
            raise ValueError(f"hookyard dev serves exactly one AWS::Serverless::Api; the template has {len(apis)}")
        return next(iter(apis.values()))["Properties"]  # type: ignore[no-any-return]

    def _default_authorizer(self) -> str:
        return str(self._api_props().get("Auth", {}).get("DefaultAuthorizer", "NONE"))

    @cached_property
    def api(self) -> ApiSpec:
        props = self._api_props()
        authorizers = {}
        for name, spec in props.get("Auth", {}).get("Authorizers", {}).items():
            function_arn = spec["FunctionArn"]
            function_id = function_arn["Fn::GetAtt"][0]
            identity = spec.get("Identity", {})
            authorizers[name] = Authorizer(
                name=name,
                function_id=function_id,
                identity_headers=tuple(identity.get("Headers", ["Authorization"])),
                ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
            )
        responses = {}
        for kind, spec in props.get("GatewayResponses", {}).items():
            body = spec.get("ResponseTemplates", {}).get("application/json", '{"message":null}')
            responses[kind] = (int(spec.get("StatusCode", 500)), body)
        routes = tuple(r for f in self.functions.values() for r in f.routes)
        return ApiSpec(
            stage=str(self.resolve(props["StageName"])),
            routes=routes,
            authorizers=authorizers,
            gateway_responses=responses,
        )

    # ------------------------------------------------------------ state
    def table_definitions(self) -> list[dict[str, Any]]:
        """`create_table` arguments for every table, from the template's key schemas."""
        tables = []
        for logical_id, res in self.of_type("AWS::DynamoDB::Table").items():
            props = res["Properties"]
            spec: dict[str, Any] = {
                "TableName": self.physical_name(logical_id),
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if props.get("GlobalSecondaryIndexes"):
                spec["GlobalSecondaryIndexes"] = [
                    {k: v for k, v in gsi.items() if k != "ProvisionedThroughput"}
                    for gsi in props["GlobalSecondaryIndexes"]
                ]
            tables.append(spec)
        return tables

    def ttl_attributes(self) -> dict[str, str]:
        out = {}
        for logical_id, res in self.of_type("AWS::DynamoDB::Table").items():
            ttl = res["Properties"].get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                out[self.physical_name(logical_id)] = ttl["AttributeName"]
        return out

    def event_buses(self) -> list[str]:
        return [self.physical_name(logical_id) for logical_id in self.of_type("AWS::Events::EventBus")]

    def queues(self) -> dict[str, dict[str, Any]]:
        """Queue logical id -> resolved properties."""
        return {lid: self.resolve(res.get("Properties", {})) for lid, res in self.of_type("AWS::SQS::Queue").items()}

    def event_rules(self) -> dict[str, dict[str, Any]]:
        """Rule logical id -> resolved properties (name, bus, pattern, targets)."""
        return {lid: self.resolve(res["Properties"]) for lid, res in self.of_type("AWS::Events::Rule").items()}

    def kms_keys(self) -> list[str]:
        return list(self.of_type("AWS::KMS::Key"))

    def layer_dirs(self) -> list[Path]:
        return [self.layer_dir(logical_id) for logical_id in self.of_type("AWS::Serverless::LayerVersion")]

    def layer_dir(self, logical_id: str) -> Path:
        """The folder a layer is built from (in a build's template: its built folder)."""
        return self.root / str(self.of_type("AWS::Serverless::LayerVersion")[logical_id]["Properties"]["ContentUri"])
