"""hookyard_dev.template: template.yaml read once, for `hookyard dev`, tests and deploy."""

from __future__ import annotations

import hashlib

import pytest

from hookyard_dev.template import Template
from tests.conftest import OPERATOR_TOKEN

INGEST_PATH = "/api/services/zis/inbound_webhooks/generic/ingest/{token}"
ZENDESK_INGEST_PATH = "/api/services/zis/inbound_webhooks/zendesk/ingest/{token}"
OPEN_ROUTES = {
    ("GET", "/api/health"),
    ("GET", "/api/admin/swagger"),
    ("GET", "/api/services/zis/inbound_webhooks/swagger"),
    ("GET", "/api/services/zis/registry/swagger"),
    ("GET", "/api/v2/swagger"),
    ("POST", INGEST_PATH),
    ("GET", INGEST_PATH),  # the endpoint verification handshake
    ("POST", ZENDESK_INGEST_PATH),  # Zendesk sources: Zendesk's signature instead
    ("GET", "/console"),  # the console's files; the page signs in with an API token
    ("GET", "/console/{proxy+}"),
}
MANAGEMENT_ROUTES = {
    ("POST", "/api/admin/accounts"),
    ("GET", "/api/admin/accounts"),
    ("GET", "/api/admin/accounts/{account_id}"),
    ("POST", "/api/admin/accounts/{account_id}/tokens"),
    ("GET", "/api/admin/accounts/{account_id}/tokens"),
    ("DELETE", "/api/admin/accounts/{account_id}/tokens/{token_id}"),
    ("POST", "/api/services/zis/inbound_webhooks/generic/{integration}"),
    ("GET", "/api/services/zis/inbound_webhooks/generic/{integration}"),
    ("GET", "/api/services/zis/inbound_webhooks/generic/{integration}/{uuid}"),
    ("DELETE", "/api/services/zis/inbound_webhooks/generic/{integration}/{uuid}"),
    ("POST", "/api/services/zis/inbound_webhooks/generic/{integration}/{uuid}/credentials"),
    ("POST", "/api/services/zis/inbound_webhooks/zendesk/{integration}"),
    ("GET", "/api/services/zis/inbound_webhooks/zendesk/{integration}"),
    ("GET", "/api/services/zis/inbound_webhooks/zendesk/{integration}/{uuid}"),
    ("DELETE", "/api/services/zis/inbound_webhooks/zendesk/{integration}/{uuid}"),
    ("PUT", "/api/services/zis/inbound_webhooks/zendesk/{integration}/{uuid}/signing_secret"),
}


# ------------------------------------------------------------------ functions


def test_every_function_handler_module_exists_under_its_code_uri(template: Template) -> None:
    # Given
    functions = template.of_type("AWS::Serverless::Function")

    # When
    missing = [
        f"{spec.logical_id}: {spec.code_uri}{spec.module.replace('.', '/')}.py"
        for spec in template.functions.values()
        if not (template.root / spec.code_uri / (spec.module.replace(".", "/") + ".py")).is_file()
    ]

    # Then
    assert set(template.functions) == set(functions)
    assert missing == []


def test_every_function_handler_is_named_lambda_handler(template: Template) -> None:
    # When
    names = {spec.function_name for spec in template.functions.values()}

    # Then
    assert names == {"lambda_handler"}


def test_function_settings_come_from_globals_unless_overridden(template: Template) -> None:
    # When
    ingest = template.functions["IngestFunction"]
    accounts = template.functions["AccountsApiFunction"]

    # Then
    assert (ingest.memory, ingest.timeout) == (1024, 10)
    assert (accounts.memory, accounts.timeout) == (512, 10)


def test_function_environment_merges_globals_and_resolves_references(template: Template) -> None:
    # When
    environment = template.functions["IngestFunction"].environment

    # Then
    assert environment["CONFIG_TABLE_NAME"] == "ConfigTable"
    assert environment["EVENT_BUS_NAME"] == "hookyard"
    assert environment["INGEST_MAX_BODY_BYTES"] == "204800"


def test_authorizer_function_environment_has_the_operator_hash_parameter(template: Template) -> None:
    # Given the hash the session fixture passed as OperatorTokenSha256
    expected = hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()

    # When
    environment = template.functions["AuthorizerFunction"].environment

    # Then
    assert environment["OPERATOR_TOKEN_SHA256"] == expected


# ------------------------------------------------------------------ routes


def test_ingest_route_has_no_authorizer(template: Template) -> None:
    # When
    (route,) = [r for r in template.api.routes if r.path == INGEST_PATH and r.method == "POST"]

    # Then
    assert route.method == "POST"
    assert route.function_id == "IngestFunction"
    assert route.authorizer is None


def test_only_health_swagger_ingest_and_console_routes_are_open(template: Template) -> None:
    # When
    open_routes = {(r.method, r.path) for r in template.api.routes if r.authorizer is None}

    # Then
    assert open_routes == OPEN_ROUTES


def test_management_routes_use_the_bearer_token_authorizer(template: Template) -> None:
    # When
    guarded = {(r.method, r.path): r.authorizer for r in template.api.routes if (r.method, r.path) in MANAGEMENT_ROUTES}

    # Then
    assert set(guarded) == MANAGEMENT_ROUTES
    assert set(guarded.values()) == {"BearerTokenAuthorizer"}


def test_api_has_the_stage_and_the_authorizer_spec(template: Template) -> None:
    # When
    api = template.api

    # Then
    assert api.stage == "prod"
    authorizer = api.authorizers["BearerTokenAuthorizer"]
    assert authorizer.function_id == "AuthorizerFunction"
    assert authorizer.identity_headers == ("Authorization",)
    assert authorizer.ttl_seconds == 60


def test_gateway_responses_carry_their_status_and_body(template: Template) -> None:
    # When
    status, body = template.api.gateway_responses["UNAUTHORIZED"]

    # Then
    assert status == 401
    assert '"detail":"Authentication failed"' in body


def test_route_pattern_captures_path_parameters(template: Template) -> None:
    # Given
    (route,) = [r for r in template.api.routes if r.path == INGEST_PATH and r.method == "POST"]

    # When
    found = route.pattern.match("/api/services/zis/inbound_webhooks/generic/ingest/abc-_123")

    # Then
    assert found is not None
    assert found.groupdict() == {"token": "abc-_123"}


def test_route_pattern_does_not_span_path_segments(template: Template) -> None:
    # Given
    (route,) = [r for r in template.api.routes if r.path == INGEST_PATH and r.method == "POST"]

    # When / Then
    assert route.pattern.match("/api/services/zis/inbound_webhooks/generic/ingest/a/b") is None


# ------------------------------------------------------------------ state


def test_table_definitions_come_from_the_template_key_schemas(template: Template) -> None:
    # When
    definitions = {d["TableName"]: d for d in template.table_definitions()}

    # Then
    assert set(definitions) == {"ConfigTable", "ActivityTable"}
    for logical_id, definition in definitions.items():
        props = template.resources[logical_id]["Properties"]
        assert definition["KeySchema"] == props["KeySchema"]
        assert definition["AttributeDefinitions"] == props["AttributeDefinitions"]
        assert definition["BillingMode"] == "PAY_PER_REQUEST"


def test_table_definitions_have_a_pk_hash_and_sk_range_key(template: Template) -> None:
    # When
    schemas = [d["KeySchema"] for d in template.table_definitions()]

    # Then
    for schema in schemas:
        assert schema == [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}]


def test_ttl_attributes_name_the_activity_tables_expires_at(template: Template) -> None:
    # When / Then
    assert template.ttl_attributes() == {"ActivityTable": "expires_at"}


def test_event_buses_are_named_by_their_parameter(template: Template) -> None:
    # When / Then
    assert template.event_buses() == ["hookyard"]


# ------------------------------------------------------------------ intrinsic functions


def test_resolve_ref_to_a_parameter_gives_its_value(template: Template) -> None:
    # When / Then
    assert template.resolve({"Ref": "Stage"}) == "prod"


def test_resolve_ref_to_a_passed_parameter_gives_the_passed_value(template: Template) -> None:
    # When
    value = template.resolve({"Ref": "OperatorTokenSha256"})

    # Then
    assert value == template.parameters["OperatorTokenSha256"]
    assert len(value) == 64


def test_resolve_ref_to_a_resource_gives_its_physical_name(template: Template) -> None:
    # When / Then
    assert template.resolve({"Ref": "EventBus"}) == "hookyard"


def test_resolve_ref_to_an_unknown_name_is_an_error(template: Template) -> None:
    # When / Then
    with pytest.raises(KeyError, match="NoSuchThing"):
        template.resolve({"Ref": "NoSuchThing"})


def test_resolve_sub_fills_in_pseudo_parameters(template: Template) -> None:
    # When
    value = template.resolve({"Fn::Sub": "https://events.${AWS::Region}.${AWS::URLSuffix}/${AWS::AccountId}"})

    # Then
    assert value == "https://events.us-east-1.amazonaws.com/123456789012"


def test_resolve_sub_with_a_variable_map(template: Template) -> None:
    # When
    value = template.resolve({"Fn::Sub": ["${Name}-${Stage}", {"Name": {"Ref": "EventBus"}}]})

    # Then
    assert value == "hookyard-prod"


def test_resolve_sub_from_the_yaml_short_form(template: Template) -> None:
    # Given
    layer_name = template.resources["CommonLayer"]["Properties"]["LayerName"]

    # When / Then
    assert layer_name == {"Fn::Sub": "${AWS::StackName}-common"}
    assert template.resolve(layer_name) == "hookyard-dev-common"


def test_resolve_get_att_arn_from_the_yaml_short_form(template: Template) -> None:
    # Given
    policy = template.resources["AuthorizerFunction"]["Properties"]["Policies"][0]
    resource = policy["Statement"][0]["Resource"]

    # When / Then
    assert resource == {"Fn::GetAtt": ["ConfigTable", "Arn"]}
    assert template.resolve(resource) == "arn:aws:dynamodb:us-east-1:123456789012:table/ConfigTable"


def test_resolve_get_att_arn_of_the_event_bus(template: Template) -> None:
    # When
    value = template.resolve({"Fn::GetAtt": "EventBus.Arn"})

    # Then
    assert value == "arn:aws:events:us-east-1:123456789012:event-bus/hookyard"


def test_resolve_walks_nested_values(template: Template) -> None:
    # When
    value = template.resolve({"a": [{"Ref": "Stage"}, "plain", 3], "b": {"Fn::Join": ["-", ["x", {"Ref": "Stage"}]]}})

    # Then
    assert value == {"a": ["prod", "plain", 3], "b": "x-prod"}


# ------------------------------------------------------------------ what keeps events and tells operators


def test_hookyard_has_one_fixed_rule_on_the_bus_and_every_target_keeps_what_it_cannot_deliver(
    template: Template,
) -> None:
    rules = template.of_type("AWS::Events::Rule")

    assert list(rules) == ["RoutingRule"]
    for rule in rules.values():
        for target in rule["Properties"]["Targets"]:
            assert target["DeadLetterConfig"]["Arn"], target
            assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    assert template.resources["RoutingRuleFailedAlarm"]["Properties"]["MetricName"] == "FailedInvocations"


def test_no_function_may_change_eventbridge_rules(template: Template) -> None:
    for name, function in template.of_type("AWS::Serverless::Function").items():
        for policy in function["Properties"].get("Policies", []):
            actions = [a for s in policy.get("Statement", []) for a in s["Action"]]
            assert not [a for a in actions if a.startswith("events:") and a != "events:PutEvents"], name


def test_ingest_is_served_by_a_throttled_http_api_in_the_rest_event_shape(template: Template) -> None:
    ingest_api = template.resources["IngestApi"]
    events = template.resources["IngestFunction"]["Properties"]["Events"].values()

    assert ingest_api["Type"] == "AWS::Serverless::HttpApi"
    assert ingest_api["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] == {"Ref": "IngestRateLimit"}
    assert ingest_api["Properties"]["AccessLogSettings"]["DestinationArn"]
    assert {(e["Type"], e["Properties"]["PayloadFormatVersion"]) for e in events} == {("HttpApi", "1.0")}
    assert {e["Properties"]["Path"] for e in events} == {INGEST_PATH, ZENDESK_INGEST_PATH}


def test_the_management_api_is_throttled_and_writes_access_logs(template: Template) -> None:
    api = template.resources["HookyardApi"]["Properties"]
    settings = {(m["ResourcePath"], m["HttpMethod"]): m for m in api["MethodSettings"]}

    assert settings[("/*", "*")]["ThrottlingRateLimit"] == {"Ref": "ApiRateLimit"}
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert template.doc["Globals"]["Api"]["OpenApiVersion"]  # no stray "Stage" stage


def test_every_function_is_watched_for_errors_and_the_api_for_5xx(template: Template) -> None:
    watched = set()
    for alarm in template.of_type("AWS::CloudWatch::Alarm").values():
        for metric in alarm["Properties"].get("Metrics", []):
            stat = metric.get("MetricStat", {}).get("Metric", {})
            if stat.get("MetricName") == "Errors":
                watched |= {d["Value"]["Ref"] for d in stat["Dimensions"]}

    assert watched >= set(template.functions) - {"ConsoleFunction"}
    assert template.resources["ApiServerErrorsAlarm"]["Properties"]["MetricName"] == "5XXError"


def test_every_function_names_its_service_as_its_logger_does(template: Template) -> None:
    import importlib

    for logical_id, spec in template.functions.items():
        package = spec.module.split(".")[0]
        log = importlib.import_module(f"{package}.log")
        assert spec.environment["POWERTOOLS_SERVICE_NAME"] == log.logger.service == package, logical_id


def test_ingest_may_only_read_config_publish_keep_dedupe_records_and_open_secrets(template: Template) -> None:
    # Given the ingest function's policy
    [policy] = template.resources["IngestFunction"]["Properties"]["Policies"]

    # When
    grants = {(tuple(s["Action"]), str(s["Resource"])) for s in policy["Statement"]}

    # Then each action is granted on the one resource that needs it
    assert grants == {
        (("dynamodb:GetItem",), str({"Fn::GetAtt": ["ConfigTable", "Arn"]})),
        (("events:PutEvents",), str({"Fn::GetAtt": ["EventBus", "Arn"]})),
        (
            ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            str({"Fn::GetAtt": ["ActivityTable", "Arn"]}),
        ),
        (("kms:Decrypt",), str({"Fn::GetAtt": ["SecretsKey", "Arn"]})),
    }


def test_functions_log_json_and_lambda_writes_no_start_or_report_lines_by_default(template: Template) -> None:
    for spec in template.functions.values():
        assert spec.environment["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
        assert spec.environment["AWS_LAMBDA_LOG_LEVEL"] == "INFO"  # the LogLevel parameter's default
        assert spec.system_log_level == "WARN"


def test_the_log_level_parameter_reaches_lambdas_log_filter_in_its_spelling() -> None:
    parameters = {"OperatorTokenSha256": hashlib.sha256(OPERATOR_TOKEN.encode()).hexdigest()}
    chosen = Template.load(parameters={**parameters, "LogLevel": "WARNING", "PlatformLogLevel": "INFO"})
    ingest = chosen.functions["IngestFunction"]
    assert ingest.environment["AWS_LAMBDA_LOG_LEVEL"] == "WARN"  # Lambda's name for WARNING
    assert ingest.environment["POWERTOOLS_LOG_LEVEL"] == "WARNING"
    assert ingest.system_log_level == "INFO"
