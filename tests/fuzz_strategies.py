"""Hypothesis strategies for fuzzing the simulator's API (used by test_fuzz_api.py).

Valid values are read from the record rules' parameter tables (helpers/rules.py) and from the
request shapes of Vonage's OpenAPI document; `mutated` breaks them. Every URL they produce
points at the loopback receiver they are given.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import pytest
from hypothesis import strategies as st

from helpers import rules
from helpers.callees import NUMBERS

SPEC = Path(__file__).resolve().parents[2] / "shared" / "vonage-spec" / "voice-openapi.yml"
# Callees that hang up within a minute: a fuzzed call never records for hours.
SAFE_TO = [NUMBERS[n] for n in ("talker", "presses-hash", "keypad", "voicemail-caller",
                                "early-presser", "busy", "never-answers")] + ["447700900099"]
CALLEE_NUMBERS = [f"4477009999{n:02d}" for n in range(10)]  # scripts the fuzzer writes
NASTY_TEXT = ["", " ", "0", "-1", "--5", "²", "٣", "1e309", "NaN", "null", "true", "🎙️ ok",
              "\x00", "\u202e", "a" * 3000, "../../etc/passwd", "%00", "<b>", "'", "\\",
              "447700900001", "63f61863-4a51-4f6b-86e1-46edebcf9356", "9" * 5000]
NASTY_NUMBERS = [0, -1, 10**30, -10**30, 2**63, 1e308, -0.0, 5e-324, 0.1, 86401, 7201]
RAW_BODIES = [b"", b"null", b"[]", b"{", b"}", b"NaN", b"Infinity", b"-Infinity", b"1e999",
              b'{"pace": NaN}', b'{"advance_seconds": Infinity}', b'{"digits": "\\ud800"}',
              b'{"text": "\\udfff"}', b"9" * 5000, b"[" * 100_000, b'{"a":' * 500 + b"1",
              b"\xff\xfe\x00", b"\xef\xbb\xbf{}", b'{"action": "hangup"}' * 2,
              b'{"advance_seconds": 1e999}', b'{"script": [' + b"[" * 900 + b"]" * 900 + b"]}"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False,
                    allow_infinity=False), st.text(max_size=20), st.sampled_from(NASTY_TEXT),
                    st.sampled_from(NASTY_NUMBERS))


def _containers(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)


json_values = st.recursive(scalars, _containers, max_leaves=8)


# --- strategies from the rules tables -------------------------------------------------------
def valid_value(param: rules.Param, url: str) -> st.SearchStrategy:
    """Values a parameter accepts, read from its row in the rules table."""
    kind = param.kind
    if kind in ("choice", "method"):
        return st.sampled_from(param.choices)
    if kind == "int":
        return st.integers(int(param.minimum), int(param.maximum))
    if kind == "number":
        return st.floats(param.minimum, param.maximum, allow_nan=False)
    if kind == "bool":
        return st.booleans()
    if kind == "key":
        return st.sampled_from(rules.KEYS)
    if kind == "url_list":
        return st.sampled_from([[url], [url + "?duration=2"], [url + "/x?duration=nan"]])
    if kind == "text":
        return st.text(min_size=1, max_size=min(40, int(param.maximum or 40))).filter(str.strip)
    if kind == "object" and param.fields:
        return st.fixed_dictionaries({}, optional={n: valid_value(p, url)
                                                   for n, p in param.fields.items()})
    if kind == "object":
        return st.dictionaries(st.text(max_size=8), scalars, max_size=3)
    if kind == "list":
        return st.lists(st.sampled_from(param.choices), min_size=1, max_size=2, unique=True)
    return st.sampled_from(SAFE_TO + CALLEE_NUMBERS).map(
        lambda n: [{"type": "phone", "number": n}])


@st.composite
def actions(draw, url: str) -> dict:
    """One NCCO action built from the rules table; now and then a value of the wrong kind."""
    name = draw(st.sampled_from(sorted(rules.ACTION_PARAMS)))
    table = rules.ACTION_PARAMS[name]
    chosen = draw(st.sets(st.sampled_from(sorted(table)), max_size=3))
    body = {"action": name}
    for param in sorted(chosen | {n for n, p in table.items() if p.required}):
        wrong = draw(st.integers(0, 19)) == 0
        body[param] = draw(json_values if wrong else valid_value(table[param], url))
    return body


@st.composite
def mutated(draw, body_strategy: st.SearchStrategy) -> object:
    """A body with one to three things broken: a field dropped, retyped, added or nested."""
    body = copy.deepcopy(draw(body_strategy))
    for _ in range(draw(st.integers(1, 3))):
        spots = list(_spots(body))
        if not spots:
            return draw(json_values)
        parent, key = draw(st.sampled_from(spots))
        move = draw(st.sampled_from(["drop", "retype", "add", "wrap"]))
        if move == "drop":
            del parent[key]
        elif move == "retype":
            parent[key] = draw(json_values)
        elif move == "wrap":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
        elif isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    return body


def _spots(value, depth: int = 0):
    if depth > 3:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, inner in list(items):
        yield value, key
        yield from _spots(inner, depth + 1)


def call_bodies(url: str) -> st.SearchStrategy:
    """create-call bodies: valid-looking ones from the rules, then broken ones."""
    caller = st.sampled_from([{"from": {"type": "phone", "number": "447700900000"}},
                              {"random_from_number": True}])
    body = st.builds(lambda fields, who: {**fields, **who}, st.fixed_dictionaries(
        {"to": st.sampled_from(SAFE_TO).map(lambda n: [{"type": "phone", "number": n}]),
         "ncco": st.lists(actions(url), min_size=1, max_size=3), "event_url": st.just([url])},
        optional={"length_timer": st.integers(1, 86400), "ringing_timer": st.integers(1, 120),
                  "event_method": st.sampled_from(["POST", "GET"]),
                  "machine_detection": st.sampled_from(["continue", "hangup"])}), caller)
    return st.one_of(body, body, mutated(body), json_values)


# --- strategies from Vonage's OpenAPI document ------------------------------------------------
@functools.cache
def load_spec() -> dict:
    if not SPEC.is_file():
        pytest.skip(f"Vonage's OpenAPI document is not at {SPEC} (../shared is absent)")
    yaml = pytest.importorskip("yaml")
    return yaml.safe_load(SPEC.read_text())


def from_schema(spec: dict, schema: dict, url: str) -> st.SearchStrategy:
    """Bodies shaped like an OpenAPI schema: examples, enums, ranges, optional fields."""
    if "$ref" in schema:
        node = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        return from_schema(spec, node, url)
    if "oneOf" in schema:
        return st.one_of([from_schema(spec, s, url) for s in schema["oneOf"]])
    if "allOf" in schema:
        merged = {"type": "object", "properties": {}, "required": []}
        for part in schema["allOf"]:
            while "$ref" in part:
                node = spec
                for key in part["$ref"].lstrip("#/").split("/"):
                    node = node[key]
                part = node
            merged["properties"].update(part.get("properties", {}))
            merged["required"] += part.get("required", [])
        return from_schema(spec, merged, url)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", ())) & set(props)
        return st.fixed_dictionaries(
            {n: from_schema(spec, props[n], url) for n in required},
            optional={n: from_schema(spec, s, url) for n, s in props.items()
                      if n not in required})
    options = []
    if "example" in schema:
        options.append(st.just(_loopback(schema["example"], url)))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if kind == "array":
        options.append(st.lists(from_schema(spec, schema.get("items", {}), url), min_size=1,
                                max_size=2))
    elif kind == "integer":
        options.append(st.integers(schema.get("minimum", -5), schema.get("maximum", 200)))
    elif kind == "boolean":
        options.append(st.booleans())
    elif "pattern" in schema:
        options.append(st.sampled_from(SAFE_TO))
    elif not options:
        options.append(st.text(max_size=20))
    return st.one_of(options)


def _loopback(value, url: str):
    """The spec's example URLs, pointed at the loopback receiver."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return url + "/" + value.split("/", 3)[-1]
    if isinstance(value, list):
        return [_loopback(v, url) for v in value]
    if isinstance(value, dict):
        return {k: _loopback(v, url) for k, v in value.items()}
    return value


@functools.cache
def spec_body(operation: str, url: str) -> st.SearchStrategy:
    """Request bodies for one operation of Vonage's document, as published and mutated."""
    spec = load_spec()
    for methods in spec["paths"].values():
        for details in methods.values():
            if isinstance(details, dict) and details.get("operationId") == operation:
                schema = details["requestBody"]["content"]["application/json"]["schema"]
                shaped = from_schema(spec, schema, url)
                return st.one_of(shaped, mutated(shaped))
    raise KeyError(operation)
