"""The ZIS flow language rules, checked at upload: `check_flow(definition, path, add, ...)`
reports (JSON path, message) for everything the engine would not run as written.

What a flow may use (anything else is reported, with a hint for Amazon States Language
features ZIS does not have):

- flow / Map Iterator: `StartAt` (naming one of its States), `States` (non-empty), `Comment`.
- every state: `Type`, `Comment`; `Next` (a state of the same machine) or `End: true`,
  except Choice, Succeed and Fail, which take neither.
- Action: `ActionName` (required; a built-in, or `zis:<integration>:action:<name>` of an
  action in the same bundle), `Parameters`, `ResultPath`, `Catch`, `Retry`.
- Map: `ItemsPath` (required), `Iterator` (required), `ResultPath` (required: a reference
  path, where the array of the iterations' outputs goes), `Catch`, `Retry`.
- Pass: `Result`, `Parameters`, `ResultPath`.
- Wait: `Seconds` (a finite number > 0); not SecondsPath, Timestamp or TimestampPath.
- Choice: `Choices` (non-empty; see hookyard.flows.choice), `Default`.
- Succeed: `Message` (optional). Fail: `Error` and `Cause` (both required). Strings, with
  `{{$.path}}` placeholders allowed.
- Catch: `[{ErrorEquals: ["States.ALL"], Next, ResultPath?}]`.
- Retry: `[{ErrorEquals: ["States.ALL"], IntervalSeconds?, MaxAttempts?, BackoffRate?}]`, as
  the Amazon States Language has them: IntervalSeconds a whole number of seconds from 1 to
  99999999 (default 1), MaxAttempts a whole number from 0 (never retry) to 99999999
  (default 3), BackoffRate a finite number of 1.0 or more (default 2.0).
- Parallel and Task states and intrinsic functions (`States.Format(...)`) are rejected.
- Paths must be JSONPaths jsonpath-ng parses; ResultPath must be a plain reference path
  (or null); `key.$` values must be a JSONPath or a string with `{{$.path}}` placeholders.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Set
from typing import Any

from hookyard.flows import choice
from hookyard.flows.actions import BUILTIN_ACTIONS, check_builtin_parameters
from hookyard.flows.paths import check_parameters, check_path, check_template, child_path

Add = Callable[[str, str], None]

STATE_TYPES = ("Action", "Choice", "Map", "Wait", "Pass", "Succeed", "Fail")
COMMON_FIELDS = frozenset({"Type", "Comment"})
TRANSITION_FIELDS = frozenset({"Next", "End"})
FIELDS: dict[str, frozenset[str]] = {
    "Action": frozenset({"ActionName", "Parameters", "ResultPath", "Catch", "Retry"}) | TRANSITION_FIELDS,
    "Map": frozenset({"ItemsPath", "Iterator", "ResultPath", "Catch", "Retry"}) | TRANSITION_FIELDS,
    "Pass": frozenset({"Result", "Parameters", "ResultPath"}) | TRANSITION_FIELDS,
    "Wait": frozenset({"Seconds"}) | TRANSITION_FIELDS,
    "Choice": frozenset({"Choices", "Default"}),
    "Succeed": frozenset({"Message"}),
    "Fail": frozenset({"Error", "Cause"}),
}
UNSUPPORTED_TYPES = {
    "Parallel": "Parallel states are not supported (ZIS has no Parallel state)",
    "Task": "Task states are not supported: ZIS calls actions with Action states (ActionName)",
}
HINTS = {
    "InputPath": "InputPath is not supported; select values with Parameters",
    "OutputPath": "OutputPath is not supported; use ResultPath",
    "ResultSelector": "ResultSelector is not supported; use a Jq action to reshape results",
    "SecondsPath": "Wait takes Seconds only (SecondsPath is not supported)",
    "Timestamp": "Wait takes Seconds only (Timestamp is not supported)",
    "TimestampPath": "Wait takes Seconds only (TimestampPath is not supported)",
    "Resource": "Resource is not supported; Action states name an action with ActionName",
    "TimeoutSeconds": "TimeoutSeconds is not supported (ZIS limits every flow to 100 seconds)",
    "HeartbeatSeconds": "HeartbeatSeconds is not supported",
    "ItemSelector": "ItemSelector is not supported: each Map iteration gets its array element",
    "ItemProcessor": "ItemProcessor is not supported; use Iterator",
    "MaxConcurrency": "MaxConcurrency is not supported: Map iterations run one after another",
}
CATCH_FIELDS = frozenset({"ErrorEquals", "Next", "ResultPath"})
RETRY_FIELDS = frozenset({"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate"})
ALL_ERRORS = "States.ALL"
MAX_RETRY_INTERVAL_SECONDS = 99_999_999  # the States Language's bounds (AWS Step Functions')
MAX_RETRY_ATTEMPTS = 99_999_999

# zis:<integration>:<kind>:<name>
FULL_NAME = re.compile(r"^zis:(?P<integration>[^:]+):(?P<kind>[a-z_]+):(?P<name>.+)$")


def check_flow(definition: Any, path: str, add: Add, *, integration: str, actions: Set[str]) -> None:
    """Reports every problem of a flow definition. `actions` are the names of the
    bundle's HTTP actions, which ActionName may call as zis:<integration>:action:<name>."""
    _Checker(add, integration, actions).machine(definition, path)


class _Checker:
    def __init__(self, add: Add, integration: str, actions: Set[str]) -> None:
        self.add = add
        self.integration = integration
        self.actions = actions
        self.checks: dict[str, Callable[[dict[str, Any], str, set[str]], None]] = {
            "Action": self.action,
            "Map": self.map,
            "Pass": self.pass_,
            "Wait": self.wait,
            "Choice": self.choice,
            "Succeed": self.succeed,
            "Fail": self.fail,
        }

    def machine(self, machine: Any, path: str) -> None:
        if not isinstance(machine, dict):
            self.add(path, "must be an object with StartAt and States")
            return
        for key in machine:
            if key not in ("StartAt", "States", "Comment"):
                self.add(child_path(path, key), HINTS.get(key, f"unknown field {key} (expected StartAt and States)"))
        states = machine.get("States")
        states_path = child_path(path, "States")
        if not isinstance(states, dict) or not states:
            self.add(states_path, "States must be a non-empty object of states")
            states = {}
        start = machine.get("StartAt")
        if start is None:
            self.add(child_path(path, "StartAt"), "StartAt is required")
        elif not isinstance(start, str) or (states and start not in states):
            self.add(child_path(path, "StartAt"), f"StartAt names a state that does not exist: {start}")
        names = set(states)
        for name, state in states.items():
            self.state(state, child_path(states_path, name), names)

    def state(self, state: Any, path: str, names: set[str]) -> None:
        if not isinstance(state, dict):
            self.add(path, "a state must be an object")
            return
        kind = state.get("Type")
        if kind is None:
            self.add(child_path(path, "Type"), "Type is required")
            return
        if isinstance(kind, str) and kind in UNSUPPORTED_TYPES:
            self.add(child_path(path, "Type"), UNSUPPORTED_TYPES[kind])
            return
        if not isinstance(kind, str) or kind not in FIELDS:
            self.add(child_path(path, "Type"), f"unknown state type {kind} (expected one of {', '.join(STATE_TYPES)})")
            return
        allowed = COMMON_FIELDS | FIELDS[kind]
        for key in state:
            if key not in allowed:
                self.add(child_path(path, key), self.unknown_field(kind, key))
        if "Comment" in state and not isinstance(state["Comment"], str):
            self.add(child_path(path, "Comment"), "Comment must be a string")
        if FIELDS[kind] >= TRANSITION_FIELDS:
            self.transition(state, path, names)
        self.checks[kind](state, path, names)

    @staticmethod
    def unknown_field(kind: str, key: str) -> str:
        if key in TRANSITION_FIELDS:
            return f"{kind} states take no {key}"
        return HINTS.get(key, f"unknown field {key} in a {kind} state")

    def transition(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        if "Next" in state and "End" in state:
            self.add(path, "a state takes Next or End, not both")
        elif "Next" in state:
            self.target(state["Next"], child_path(path, "Next"), names)
        elif "End" in state:
            if state["End"] is not True:
                self.add(child_path(path, "End"), "End must be true (leave it out and give Next instead)")
        else:
            self.add(path, "a state needs Next or End")

    def target(self, name: Any, path: str, names: set[str]) -> None:
        if not isinstance(name, str) or name not in names:
            self.add(path, f"names a state that does not exist: {name}")

    # -------------------------------------------------------------- per type

    def action(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        name = state.get("ActionName")
        name_path = child_path(path, "ActionName")
        if name is None:
            self.add(name_path, "ActionName is required")
        elif not isinstance(name, str):
            self.add(name_path, "ActionName must be a string")
        elif name in BUILTIN_ACTIONS:
            check_builtin_parameters(name, state.get("Parameters"), child_path(path, "Parameters"), self.add)
        elif name.startswith("zis:common:"):
            self.add(
                name_path, f"built-in action {name} is not supported (supported: {', '.join(sorted(BUILTIN_ACTIONS))})"
            )
        else:
            self.action_reference(name, name_path)
        self.parameters(state, path)
        self.result_path(state, path)
        self.catch(state, path, names)
        self.retry(state, path)

    def action_reference(self, name: str, path: str) -> None:
        found = FULL_NAME.match(name)
        if not found or found["kind"] != "action":
            self.add(path, f"ActionName must be zis:{self.integration}:action:<name> or a built-in action, not {name}")
        elif found["integration"] != self.integration:
            self.add(
                path,
                f"ActionName {name} belongs to integration {found['integration']}; "
                f"a flow can only call actions of its own bundle (zis:{self.integration}:action:<name>)",
            )
        elif found["name"] not in self.actions:
            self.add(path, f"ActionName refers to an action that does not exist in this bundle: {name}")

    def map(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        if "ItemsPath" not in state:
            self.add(child_path(path, "ItemsPath"), "ItemsPath is required")
        else:
            self.path(state["ItemsPath"], child_path(path, "ItemsPath"))
        if "Iterator" not in state:
            self.add(child_path(path, "Iterator"), "Iterator is required (an object with StartAt and States)")
        else:
            self.machine(state["Iterator"], child_path(path, "Iterator"))
        if state.get("ResultPath") is None:
            # ZIS requires it (an older page of its Map docs says so outright); without it the
            # results array would replace all of the flow's data.
            self.add(
                child_path(path, "ResultPath"),
                "ResultPath is required in a Map state (the reference path its results are stored at)",
            )
        else:
            self.result_path(state, path)
        self.catch(state, path, names)
        self.retry(state, path)

    def pass_(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        self.parameters(state, path)
        self.result_path(state, path)

    def wait(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        if "Seconds" not in state:
            self.add(child_path(path, "Seconds"), "Seconds is required")
        elif not _number(state["Seconds"]) or state["Seconds"] <= 0:
            self.add(child_path(path, "Seconds"), "Seconds must be a number greater than 0")

    def choice(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        choices = state.get("Choices")
        where = child_path(path, "Choices")
        if choices is None:
            self.add(where, "Choices is required")
        elif not isinstance(choices, list) or not choices:
            self.add(where, "Choices must be a non-empty array of choice rules")
        else:
            for position, rule in enumerate(choices):
                choice.check_rule(rule, f"{where}[{position}]", self.add, states=names)
        if "Default" in state:
            self.target(state["Default"], child_path(path, "Default"), names)

    def succeed(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        self.text(state, "Message", path)

    def fail(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        self.text(state, "Error", path, required=True)
        self.text(state, "Cause", path, required=True)

    # -------------------------------------------------------------- shared parts

    def text(self, state: dict[str, Any], key: str, path: str, *, required: bool = False) -> None:
        if key not in state:
            if required:
                self.add(child_path(path, key), f"{key} is required (a string; placeholders allowed)")
            return
        value = state[key]
        problem = check_template(value) if isinstance(value, str) else f"{key} must be a string"
        if problem:
            self.add(child_path(path, key), problem)

    def path(self, value: Any, path: str, *, plain: bool = False) -> None:
        problem = check_path(value, plain=plain)
        if problem:
            self.add(path, problem)

    def parameters(self, state: dict[str, Any], path: str) -> None:
        if "Parameters" in state:
            check_parameters(state["Parameters"], child_path(path, "Parameters"), self.add)

    def result_path(self, state: dict[str, Any], path: str) -> None:
        if "ResultPath" in state and state["ResultPath"] is not None:
            self.path(state["ResultPath"], child_path(path, "ResultPath"), plain=True)

    def error_equals(self, entry: dict[str, Any], path: str) -> None:
        where = child_path(path, "ErrorEquals")
        errors = entry.get("ErrorEquals")
        if errors is None:
            self.add(where, 'ErrorEquals is required (["States.ALL"])')
        elif not isinstance(errors, list) or not errors:
            self.add(where, 'ErrorEquals must be a non-empty array (["States.ALL"])')
        elif any(error != ALL_ERRORS for error in errors):
            self.add(where, 'only "States.ALL" is supported in ErrorEquals')

    def entries(self, state: dict[str, Any], key: str, path: str) -> list[tuple[dict[str, Any], str]]:
        if key not in state:
            return []
        where = child_path(path, key)
        value = state[key]
        if not isinstance(value, list) or not value:
            self.add(where, f"{key} must be a non-empty array")
            return []
        found = []
        for position, entry in enumerate(value):
            if isinstance(entry, dict):
                found.append((entry, f"{where}[{position}]"))
            else:
                self.add(f"{where}[{position}]", f"each {key} entry must be an object")
        return found

    def catch(self, state: dict[str, Any], path: str, names: set[str]) -> None:
        for entry, where in self.entries(state, "Catch", path):
            for key in entry:
                if key not in CATCH_FIELDS:
                    self.add(child_path(where, key), f"unknown field {key} in a catcher")
            self.error_equals(entry, where)
            if "Next" not in entry:
                self.add(child_path(where, "Next"), "Next is required in a catcher")
            else:
                self.target(entry["Next"], child_path(where, "Next"), names)
            self.result_path(entry, where)

    def retry(self, state: dict[str, Any], path: str) -> None:
        for entry, where in self.entries(state, "Retry", path):
            for key in entry:
                if key not in RETRY_FIELDS:
                    self.add(child_path(where, key), f"unknown field {key} in a retrier")
            self.error_equals(entry, where)
            # Present means valid: the engine reads a null as the value, not as the default.
            if "IntervalSeconds" in entry and not _whole(entry["IntervalSeconds"], 1, MAX_RETRY_INTERVAL_SECONDS):
                self.add(
                    child_path(where, "IntervalSeconds"),
                    f"IntervalSeconds must be a whole number of seconds from 1 to {MAX_RETRY_INTERVAL_SECONDS}",
                )
            if "MaxAttempts" in entry and not _whole(entry["MaxAttempts"], 0, MAX_RETRY_ATTEMPTS):
                self.add(
                    child_path(where, "MaxAttempts"),
                    f"MaxAttempts must be a whole number from 0 to {MAX_RETRY_ATTEMPTS} (0: never retry)",
                )
            if "BackoffRate" in entry and not (_number(entry["BackoffRate"]) and entry["BackoffRate"] >= 1):
                self.add(child_path(where, "BackoffRate"), "BackoffRate must be a number of 1.0 or more")


def _number(value: Any) -> bool:
    """A finite JSON number (Python's json reads NaN and Infinity, which no field takes)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
