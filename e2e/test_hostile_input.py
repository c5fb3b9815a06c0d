"""Hostile input against every operation of the committed schema, through the live server.

For each operation of ``site/openapi.yaml`` (``$ref`` resolved), every parameter (path, query)
and every property of the JSON request body, nested ones included, gets each hostile value
its type calls for: a 20,000-character and a 5,000-word string, a value nested 40 levels
deep, a lone surrogate (a JSON ``\\ud800`` escape in bodies, ``%ED%A0%80`` in URLs), Arabic-Indic
and fullwidth digits, the extreme dates and the extreme ids; and every operation that takes a
body gets one nested 10,000 levels deep. The other required fields are valid, so the hostile
value is the only thing wrong with the request.

The promise checked (docs/security.md, "Strict input"): no answer is a 5xx and none takes a
second. Each operation runs as anonymous when it is public, and otherwise as the patient and as
the most privileged role that may call it, with the ``hostile_*`` accounts of seed.py, whose
objects nobody else uses. Every case is written to ``artifacts/e2e/hostile.json``.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import yaml

pytestmark = pytest.mark.hostile

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "site" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
SLOW_SECONDS = 1.0
# Operations that may hash a password (PBKDF2, deliberately slow) for a well-formed value: their
# budget is a second more than what an ordinary wrong-password login costs on this machine, so
# that what is measured is the hostile value, not the hasher.
HASHING_PATHS = {
    "/api/auth/login/",
    "/api/auth/register/",
    "/api/auth/password-change/",
    "/api/auth/password-reset/confirm/",
    "/api/users/",
    "/api/users/{id}/",
    # Erasing one's account checks the password first.
    "/api/users/me/",
}
REQUEST_TIMEOUT_SECONDS = 30.0

WORDS = ("terapia", "ansiedad", "psicologa", "consulta", "la", "paz", "sesion", "de")
LONG_TEXT = "a" * 20_000
MANY_WORDS = " ".join(WORDS[n % len(WORDS)] for n in range(5_000))
ARABIC_DIGITS = "١٢٣٤٥٦٧"
FULLWIDTH_DIGITS = "１２３４５６７"
HUGE_ID = "99999999999999999999"


def nested(levels: int) -> Any:
    """Lists and objects alternating, ``levels`` deep, around one string."""
    value: Any = "x"
    for level in range(levels):
        value = [value] if level % 2 else {"a": value}
    return value


NESTED_40 = nested(40)
# Too deep for json.dumps (recursion), so written out as text.
DEEP_BODY = ("[" * 10_000 + "]" * 10_000).encode()


@dataclass(frozen=True)
class Hostile:
    """One hostile value: its JSON text (for bodies) and its URL text (percent-encoded)."""

    kind: str
    json_text: str
    url_text: str


def _plain(kind: str, value: Any) -> Hostile:
    text = value if isinstance(value, str) else json.dumps(value)
    return Hostile(kind, json.dumps(value), quote(text, safe=""))


LONG = _plain("20000 chars", LONG_TEXT)
MANY = _plain("5000 words", MANY_WORDS)
NESTED = _plain("nested 40", NESTED_40)
# json.dumps escapes it as \ud800, which is what a hostile client sends; in a URL it is the
# UTF-8-style encoding of the surrogate, which no valid UTF-8 decoder accepts.
SURROGATE = Hostile("lone surrogate", json.dumps("\ud800"), "%ED%A0%80")
ARABIC = _plain("arabic-indic digits", ARABIC_DIGITS)
FULLWIDTH = _plain("fullwidth digits", FULLWIDTH_DIGITS)
DATE_MIN = _plain("date 0001-01-01", "0001-01-01")
DATE_MAX = _plain("date 9999-12-31", "9999-12-31")
DATETIME_MAX = _plain("datetime 9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z")
# Ids as JSON numbers in bodies (a 20-digit one overflows a 64-bit column), as text in URLs.
ID_HUGE = Hostile("id 99999999999999999999", HUGE_ID, HUGE_ID)
ID_MINUS_ONE = Hostile("id -1", "-1", "-1")
ID_ZERO = Hostile("id 0", "0", "0")
# More digits than Python's int() accepts from text (4,300).
ID_LONG = Hostile("20000 digits", "9" * 20_000, "9" * 20_000)

STRING_VALUES = (LONG, MANY, NESTED, SURROGATE, ARABIC, FULLWIDTH)
DATE_VALUES = (DATE_MIN, DATE_MAX)
INTEGER_VALUES = (ID_HUGE, ID_MINUS_ONE, ID_ZERO, ID_LONG, NESTED, SURROGATE, ARABIC, FULLWIDTH)
BOOLEAN_VALUES = (NESTED, SURROGATE, LONG)


def hostile_values(schema: dict) -> tuple[Hostile, ...]:
    kind = schema_type(schema)
    if kind == "integer" or kind == "number":
        return INTEGER_VALUES
    if kind == "boolean":
        return BOOLEAN_VALUES
    values = STRING_VALUES
    if schema.get("format") in ("date", "date-time"):
        values += DATE_VALUES
    if schema.get("format") == "date-time":
        values += (DATETIME_MAX,)
    return values


# ---- The schema ---------------------------------------------------------------------------


def load_schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def resolve(schema: dict, document: dict) -> dict:
    """The schema with every ``$ref`` replaced by its target (the schema has no cycles)."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = document
            for part in schema["$ref"].lstrip("#/").split("/"):
                target = target[part]
            siblings = {key: value for key, value in schema.items() if key != "$ref"}
            return {**resolve(target, document), **resolve(siblings, document)}
        return {key: resolve(value, document) for key, value in schema.items()}
    if isinstance(schema, list):
        return [resolve(item, document) for item in schema]
    return schema


def schema_type(schema: dict) -> str:
    if "type" in schema:
        return schema["type"]
    for option in schema.get("oneOf", []) + schema.get("anyOf", []) + schema.get("allOf", []):
        if "type" in option:
            return option["type"]
    return "string"


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    parameters: tuple[dict, ...]
    body: dict | None
    public: bool
    optional_auth: bool

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations() -> list[Operation]:
    document = load_schema()
    found = []
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            operation = resolve(item[method], document)
            content = operation.get("requestBody", {}).get("content", {})
            security = operation.get("security", [{}])
            anonymous_allowed = {} in security
            found.append(
                Operation(
                    method=method,
                    path=path,
                    parameters=tuple(resolve(shared, document) + operation.get("parameters", [])),
                    body=content.get("application/json", {}).get("schema"),
                    public=anonymous_allowed and len(security) == 1,
                    optional_auth=anonymous_allowed and len(security) > 1,
                )
            )
    return found


# ---- Who calls what, with which valid values ----------------------------------------------


def identities_for(operation: Operation) -> list[str | None]:
    """Anonymous for public operations; otherwise the patient and the most privileged caller."""
    path = operation.path
    if operation.public:
        return [None]
    if operation.optional_auth:
        return [None, "hostile_patient"]
    if path in ("/api/auth/logout/", "/api/auth/logout-all/"):
        return ["hostile_spare"]
    if path == "/api/auth/password-change/":
        return ["hostile_password"]
    if path.startswith(("/api/users/", "/api/auth/")):
        return ["hostile_patient", "hostile_admin"]
    return ["hostile_patient", "hostile_professional"]


def valid_path_id(operation: Operation, name: str, ids: dict, accounts: dict) -> int:
    path = operation.path
    if path.startswith("/api/appointments/appointments/{id}/") and path.count("/") > 5:
        return ids["hostile_lifecycle_appointment"]
    table = {
        "/api/appointments/appointments/": ids["hostile_appointment"],
        "/api/appointments/availability/": ids["hostile_availability"],
        "/api/appointments/blocked-dates/": ids["hostile_blocked_date"],
        "/api/appointments/series/": ids["hostile_series"],
        "/api/professionals/": accounts["hostile_professional"].id,
        "/api/users/": accounts["hostile_target"].id,
        "/api/chat/": ids["hostile_appointment"],
        # Someone else's device: a 404 that never signs the calling identity out.
        "/api/auth/sessions/": accounts["hostile_spare"].token_id,
    }
    for prefix, value in table.items():
        if path.startswith(prefix):
            return value
    return ids["hostile_appointment"]


def in_days(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def valid_value(name: str, schema: dict, context: dict) -> Any:
    """A value the server accepts for this field, so that only the hostile one is wrong."""
    by_name = {
        "email": f"hostil-{secrets.token_hex(6)}@e2e.psico.test",
        "password": "Una-Clave-Larga-2024",
        "new_password": "Otra-Clave-Larga-2025",
        "old_password": context["password"],
        "first_name": "Ana",
        "last_name": "Quispe",
        "ci": str(10_000_000 + secrets.randbelow(89_999_999)),
        "phone": "+59170000000",
        "user_type": "patient",
        "psychologist": context["professional_id"],
        "appointment_date": in_days(3),
        "start_date": in_days(3),
        "from_date": in_days(3),
        "date": in_days(2),
        "start_time": "10:00",
        "end_time": "11:00",
        "day_of_week": 0,
        "message": "Hola",
        "uid": "MQ",
        "token": "c0ffee-0123456789abcdef",
        "time_zone": "America/La_Paz",
        "specialization": context["specialization"],
        "appointment_id": context["appointment_id"],
        "appointment": context["appointment_id"],
    }
    if name in by_name:
        return by_name[name]
    if "enum" in schema:
        return schema["enum"][0]
    if "example" in schema:
        return schema["example"]
    return {
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
        "object": {},
    }.get(schema_type(schema), "texto")


# ---- Cases --------------------------------------------------------------------------------

MARKER = "\x00hostile\x00"


@dataclass
class Case:
    where: str  # "path", "query", "body" or "whole body"
    field: str
    value: Hostile
    url: str
    content: bytes | None


def body_fields(schema: dict, prefix: str = "") -> list[tuple[tuple[str, ...], dict]]:
    """(path of keys, schema) of every property, nested objects included, and array items."""
    fields = []
    for name, prop in schema.get("properties", {}).items():
        if prop.get("readOnly"):
            continue
        keys = (*prefix, name) if prefix else (name,)
        fields.append((keys, prop))
        if schema_type(prop) == "object" and "properties" in prop:
            fields.extend(body_fields(prop, keys))
        if schema_type(prop) == "array" and isinstance(prop.get("items"), dict):
            fields.append(((*keys, "[]"), prop["items"]))
    return fields


def required_body(schema: dict, context: dict) -> dict:
    return {
        name: valid_value(name, schema["properties"].get(name, {}), context)
        for name in schema.get("required", [])
    }


def with_marker(body: dict, keys: tuple[str, ...]) -> dict:
    """A copy of ``body`` with the marker at ``keys`` (``[]``: as the one item of an array)."""
    body = copy.deepcopy(body)
    as_item = keys[-1] == "[]"
    keys = keys[:-1] if as_item else keys
    target = body
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = [MARKER] if as_item else MARKER
    return body


def build_cases(operation: Operation, base_url: str, context: dict) -> list[Case]:
    path_params = [p for p in operation.parameters if p["in"] == "path"]
    query_params = [p for p in operation.parameters if p["in"] == "query"]

    def url(path_values: dict[str, str], query: list[tuple[str, str]]) -> str:
        path = operation.path
        for name, text in path_values.items():
            path = path.replace("{" + name + "}", text)
        # Already percent-encoded by hand: httpx keeps an encoded URL as it is.
        return base_url + path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")

    valid_path = {
        p["name"]: str(valid_path_id(operation, p["name"], context["ids"], context["accounts"]))
        for p in path_params
    }
    valid_query = [
        (p["name"], quote(str(valid_value(p["name"], p.get("schema", {}), context)), safe=""))
        for p in query_params
        if p.get("required")
    ]
    valid_body = required_body(operation.body, context) if operation.body else None
    valid_content = json.dumps(valid_body).encode() if valid_body is not None else None

    cases: list[Case] = []
    for param in path_params:
        for value in hostile_values(param.get("schema", {})):
            cases.append(
                Case(
                    "path",
                    param["name"],
                    value,
                    url({**valid_path, param["name"]: value.url_text}, valid_query),
                    valid_content,
                )
            )
    for param in query_params:
        schema = param.get("schema", {})
        if schema_type(schema) == "array":
            schema = schema.get("items", {})
        others = [(k, v) for k, v in valid_query if k != param["name"]]
        for value in hostile_values(schema):
            cases.append(
                Case(
                    "query",
                    param["name"],
                    value,
                    url(valid_path, [*others, (param["name"], value.url_text)]),
                    valid_content,
                )
            )
    if not path_params and not query_params and operation.body is None:
        # Nothing documented to attack: an undocumented parameter must be ignored quietly.
        for value in STRING_VALUES:
            cases.append(Case("query", "q", value, url({}, [("q", value.url_text)]), None))
    if operation.body is not None:
        for keys, schema in body_fields(operation.body):
            if keys[-1] == "[]":
                values = hostile_values(schema)
            elif schema_type(schema) in ("object", "array"):
                values = (NESTED, LONG, SURROGATE)
            else:
                values = hostile_values(schema)
            for value in values:
                text = json.dumps(with_marker(valid_body, keys))
                content = text.replace(json.dumps(MARKER), value.json_text).encode()
                cases.append(
                    Case("body", ".".join(keys), value, url(valid_path, valid_query), content)
                )
    if operation.body is not None or operation.method in ("post", "put", "patch"):
        deep = Hostile("body nested 10000", "", "")
        cases.append(Case("whole body", "-", deep, url(valid_path, valid_query), DEEP_BODY))
    return cases


# ---- The test -----------------------------------------------------------------------------

OPERATIONS = operations()
RESULTS: list[dict] = []
PASSWORD_HASH_SECONDS = [0.0]


@pytest.fixture(scope="module", autouse=True)
def report(artifacts_dir, request):
    # Written case by case as well, so that an interrupted run still says how far it got.
    (artifacts_dir / "hostile.jsonl").unlink(missing_ok=True)
    yield
    if not RESULTS:
        return
    slowest = max(RESULTS, key=lambda result: result["seconds"])
    (artifacts_dir / "hostile.json").write_text(json.dumps(RESULTS, indent=1))
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    line = (
        f"hostile input: {len(RESULTS)} cases over {len({r['operation'] for r in RESULTS})} "
        f"operations, {sum(r['status'] >= 500 for r in RESULTS)} answered 5xx, "
        f"{sum(r['seconds'] >= SLOW_SECONDS for r in RESULTS)} took {SLOW_SECONDS:g} s or more "
        f"(one password hash: {PASSWORD_HASH_SECONDS[0]:.2f} s); "
        f"slowest {slowest['seconds']:.3f} s: {slowest['method']} {slowest['path']} "
        f"{slowest['where']} {slowest['field']} ({slowest['kind']}) -> {slowest['status']}"
    )
    if reporter:
        reporter.write_line(line)
    else:
        print(line)


@pytest.fixture(scope="module")
def identities(live_server) -> dict[str | None, dict]:
    """Headers and password per identity; a password change replaces both."""
    table: dict[str | None, dict] = {None: {"headers": {}, "password": "x"}}
    for key, account in live_server.accounts.items():
        if key.startswith("hostile_"):
            table[key] = {"headers": dict(account.auth_header), "password": account.password}
    return table


@pytest.fixture(scope="module")
def password_hash_seconds(live_server) -> float:
    """The median time of an ordinary wrong-password login: the cost of one password hash."""
    durations = []
    with httpx.Client(base_url=live_server.base_url, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for attempt in range(3):
            started = time.perf_counter()
            client.post(
                "/api/auth/login/",
                json={
                    "email": live_server.accounts["hostile_target"].email,
                    "password": f"Clave-incorrecta-{attempt}",
                },
            )
            durations.append(time.perf_counter() - started)
    PASSWORD_HASH_SECONDS[0] = sorted(durations)[1]
    return PASSWORD_HASH_SECONDS[0]


def test_operations_were_read_from_the_schema():
    assert len(OPERATIONS) >= 40, [operation.id for operation in OPERATIONS]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda operation: operation.id)
def test_hostile_input_never_answers_5xx_nor_slowly(
    live_server, identities, artifacts_dir, password_hash_seconds, operation
):
    budget = SLOW_SECONDS + (password_hash_seconds if operation.path in HASHING_PATHS else 0)
    failures = []
    count = 0
    with httpx.Client(timeout=REQUEST_TIMEOUT_SECONDS) as client:
        for identity in identities_for(operation):
            context = {
                "ids": live_server.ids,
                "accounts": live_server.accounts,
                "password": identities[identity]["password"],
                "professional_id": live_server.accounts["hostile_professional"].id,
                "specialization": str(live_server.ids["specialization"]),
                "appointment_id": live_server.ids["hostile_appointment"],
            }
            for case in build_cases(operation, live_server.base_url, context):
                headers = dict(identities[identity]["headers"])
                if case.content is not None:
                    headers["Content-Type"] = "application/json"
                started = time.perf_counter()
                try:
                    response = client.request(
                        operation.method.upper(), case.url, content=case.content, headers=headers
                    )
                    status = response.status_code
                except httpx.TimeoutException:
                    response, status = None, 0
                seconds = time.perf_counter() - started
                count += 1
                record = {
                    "operation": operation.id,
                    "method": operation.method.upper(),
                    "path": operation.path,
                    "identity": identity or "anonymous",
                    "where": case.where,
                    "field": case.field,
                    "kind": case.value.kind,
                    "status": status,
                    "seconds": round(seconds, 4),
                }
                RESULTS.append(record)
                with (artifacts_dir / "hostile.jsonl").open("a") as log:
                    log.write(json.dumps(record) + "\n")
                if status == 0 or status >= 500 or seconds >= budget:
                    failures.append(
                        {**record, "url": case.url[:160], "body": (case.content or b"")[:160]}
                    )
                if (
                    response is not None
                    and status == 200
                    and operation.path == "/api/auth/password-change/"
                    and case.field == "new_password"
                ):
                    # The password is now the hostile value and the token was rotated.
                    identities[identity]["password"] = json.loads(case.content)["new_password"]
                    identities[identity]["headers"] = {
                        "Authorization": f"Token {response.json()['token']}"
                    }
    print(f"{operation.id}: {count} cases")
    assert count > 0
    assert not failures, (
        f"{len(failures)} of {count} cases answered 5xx, timed out or took "
        f">= {budget:.2f} s:\n" + "\n".join(json.dumps(f, default=str) for f in failures)
    )
