"""The NCCO rules, written once: every parameter's type, range, default and meaning.

`RECORD_PARAMS` is the single source of truth for the `record` action. The widgets, the
validator, the simulator, the docs tables and the tests all read it; no range is typed twice.
The other actions get the same treatment, in less detail, so a whole NCCO can be checked.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import assumptions

URL_PATTERN = re.compile(r"^https?://\S+$")
KEYS = tuple("0123456789*#")
#: A number written as JSON text, ASCII digits only ("7200", "-0.5"): see
#: assumptions.TEXT_NUMBERS_AND_BOOLEANS. Python's str.isdigit() would also take "٤" or "²".
NUMBER_TEXT = re.compile(r"^-?[0-9]{1,12}(\.[0-9]{1,12})?$")
BOOLEAN_TEXT = {"true": True, "false": False}
#: A phone number: 7 to 15 ASCII digits, no "+" (Voice OpenAPI AddressE164, voice-openapi.yml
#: lines 906-912: minLength 7, maxLength 15, pattern \d{7,15}; NCCO schema endpoint-phone
#: pattern ^[0-9]+$).
PHONE_NUMBER = re.compile(r"^[0-9]{7,15}$")


@dataclass(frozen=True)
class Param:
    """One parameter of an NCCO action: what it accepts and what it does."""

    name: str
    kind: str  # choice | int | number | bool | key | url_list | method | text | object | list
    #          | id_list | endpoint
    summary: str
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None
    default: Any = None
    default_note: str = ""
    blocking: bool = False
    unit: str = ""
    required: bool = False
    fields: dict[str, Param] = field(default_factory=dict)
    requires: str | None = None  # the parameter that must be set for this one to apply
    assumptions: tuple[str, ...] = ()  # assumptions.LABELS names its text rests on

    def allowed(self) -> str:
        """What this parameter accepts, in words a trainee can act on."""
        if self.kind in ("choice", "method"):
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind in ("int", "number"):
            word = "a whole number" if self.kind == "int" else "a number"
            unit = f" {self.unit}" if self.unit else ""
            return f"{word} from {_num(self.minimum)} to {_num(self.maximum)}{unit}"
        if self.kind == "bool":
            return "true or false"
        if self.kind == "key":
            return "a single key: one of 0-9, * or #"
        if self.kind == "url_list":
            return 'a list with one http(s) URL, e.g. ["https://example.com/events"]'
        if self.kind == "text":
            return "a non-empty string" + (
                f" of at most {int(self.maximum)} characters" if self.maximum else ""
            )
        if self.kind == "object":
            return "an object with " + ", ".join(self.fields) if self.fields else "an object"
        if self.kind == "list":
            return "a list of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "endpoint":
            return 'a list with one endpoint, e.g. [{"type": "phone", "number": "447700900001"}]'
        if self.kind == "id_list":
            return 'a list of call leg ids, e.g. ["aaaaaaaa-bbbb-cccc-dddd-0123456789ab"]'
        return self.kind

    def default_text(self) -> str:
        """The default as shown in docs tables."""
        if self.default_note:
            return self.default_note
        return "unset" if self.default is None else json.dumps(self.default)

    def native(self, value: Any) -> Any:
        """`value` as the JSON type this parameter takes: "7200" -> 7200, "false" -> False
        for number and boolean parameters (assumptions.TEXT_NUMBERS_AND_BOOLEANS); anything
        else unchanged."""
        if not (assumptions.TEXT_NUMBERS_AND_BOOLEANS and isinstance(value, str)):
            return value
        if self.kind in ("int", "number") and NUMBER_TEXT.match(value):
            number = float(value)
            return int(number) if number == int(number) and "." not in value else number
        if self.kind == "bool" and value in BOOLEAN_TEXT:
            return BOOLEAN_TEXT[value]
        return value

    def accepts(self, value: Any) -> str | None:
        """Like `check`, but a number or boolean written as text ("7200", "false") is judged
        as the value it spells (assumptions.TEXT_NUMBERS_AND_BOOLEANS). The validators use
        this; `check` stays exact, for code that must hold the value in its JSON type."""
        message = self.check(self.native(value))
        if message and self.native(value) is not value:
            message = self.check(value)  # say what was sent, not what it was read as
        return message

    def check(self, value: Any) -> str | None:
        """None when `value` is acceptable as it is typed, else a sentence saying what is
        wrong. "7200" fails an int here: see `accepts`."""
        gave = json.dumps(value) if _jsonable(value) else repr(value)
        bad = f"{self.name} must be {self.allowed()}; you gave {gave}."
        kind = self.kind
        if kind in ("choice", "method"):
            return None if isinstance(value, str) and value in self.choices else bad
        if kind in ("int", "number"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    value != value or value in (float("inf"), float("-inf")):
                return bad  # NaN and infinity too: Python's json reads them, Vonage does not
            if kind == "int" and value != int(value):
                return bad
            if not (self.minimum <= value <= self.maximum):
                return bad
            return None
        if kind == "bool":
            return None if isinstance(value, bool) else bad
        if kind == "key":
            return None if isinstance(value, str) and value in KEYS else bad
        if kind == "url_list":
            ok = (
                isinstance(value, list)
                and len(value) == 1
                and isinstance(value[0], str)
                and URL_PATTERN.match(value[0])
            )
            return None if ok else bad
        if kind == "text":
            ok = isinstance(value, str) and value.strip() != ""
            if ok and self.maximum is not None and len(value) > self.maximum:
                ok = False
            return None if ok else bad
        if kind == "list":
            ok = isinstance(value, list) and value and all(v in self.choices for v in value)
            return None if ok else bad
        if kind == "id_list":
            ok = isinstance(value, list) and all(isinstance(v, str) and v.strip()
                                                 for v in value)
            return None if ok else bad
        if kind == "object":
            return None if isinstance(value, dict) else bad
        if kind == "endpoint":
            why = endpoint_problem(value)
            return None if why is None else f"{self.name} must be {self.allowed()}: {why}"
        return None


def _num(value: float | None) -> str:
    return "?" if value is None else (str(int(value)) if value == int(value) else str(value))


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _params(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


def _event_url(what: str) -> Param:
    return Param("eventUrl", "url_list", f"Where Vonage sends {what}.")


def _event_method(default: str = "POST") -> Param:
    return Param(
        "eventMethod", "method", "HTTP method for the eventUrl.", ("POST", "GET"), default=default
    )


TRANSCRIPTION_FIELDS = _params(
    Param("language", "text", "BCP-47 language of the speech, e.g. en-US.", default="en-US"),
    _event_url("the transcription-ready event"),
    _event_method(),
    Param("sentimentAnalysis", "bool", "Add a sentiment score to the transcript.", default=False),
)

#: The record action, parameter by parameter: the one source of truth.
RECORD_PARAMS: dict[str, Param] = _params(
    Param(
        "format",
        "choice",
        "File format of the recording.",
        ("mp3", "wav", "ogg"),
        default=assumptions.DEFAULT_FORMAT,
        default_note=f"{assumptions.DEFAULT_FORMAT!r} ({assumptions.DEFAULT_MULTICHANNEL_FORMAT!r} "
        f"with more than {assumptions.MP3_MAX_CHANNELS} channels)",
        assumptions=("MP3_MAX_CHANNELS",),
    ),
    Param(
        "split",
        "choice",
        "Record each party on its own channel: what the caller says on channel 0 (left), "
        "what they hear on channel 1 (right).",
        ("conversation",),
        default_note="unset (mono: every party mixed into one channel)",
    ),
    Param(
        "channels",
        "int",
        "Number of channels when split is set; extra parties share the last channel.",
        minimum=1,
        maximum=32,
        default_note=f"unset ({assumptions.DEFAULT_SPLIT_CHANNELS} with split)",
        requires="split",
        assumptions=("CHANNELS_NEED_SPLIT",),
    ),
    Param(
        "endOnSilence",
        "int",
        "Stop recording after this many seconds of silence.",
        minimum=3,
        maximum=10,
        blocking=True,
        unit="seconds",
    ),
    Param(
        "endOnKey",
        "key",
        "Stop recording when the caller presses this key.",
        blocking=True,
    ),
    Param(
        "timeOut",
        "int",
        "Stop recording after this many seconds.",
        minimum=3,
        maximum=7200,
        blocking=True,
        unit="seconds",
        default_note=f"unset (recordings stop at {assumptions.DEFAULT_RECORD_TIMEOUT} s)",
        assumptions=("DEFAULT_RECORD_TIMEOUT",),
    ),
    Param("beepStart", "bool", "Play a beep when the recording starts.", default=False),
    Param(
        "eventUrl",
        "url_list",
        "Where the record event (with the download URL) is sent when the recording ends.",
        default_note="unset (the call's event_url)",
    ),
    _event_method(),
    Param(
        "transcription",
        "object",
        "Also transcribe the recording and send a transcription event.",
        fields=TRANSCRIPTION_FIELDS,
    ),
)

#: The parameters whose presence makes a record action block the NCCO.
BLOCKING_PARAMS: tuple[str, ...] = tuple(n for n, p in RECORD_PARAMS.items() if p.blocking)

DTMF_FIELDS = _params(
    Param("timeOut", "int", "Seconds of quiet after the last key before input ends.", minimum=0,
          maximum=10, default=3, unit="seconds"),
    Param("maxDigits", "int", "Input ends after this many keys.", minimum=1, maximum=20,
          default=4),
    Param("submitOnHash", "bool", "Input ends when # is pressed.", default=False),
)

ENDPOINT_TYPES = ("phone", "app", "websocket", "sip", "vbc")

#: connect.advancedMachineDetection (Python SDK common.py AdvancedMachineDetection; Voice
#: OpenAPI advanced_machine_detection, beep_timeout 30-120 there, 45-120 in the Python SDK:
#: the lab takes the wider documented range, fact sheet §4.2 and §7 item 6).
AMD_FIELDS = _params(
    Param("behavior", "choice", "What to do when a machine answers.", ("continue", "hangup")),
    Param("mode", "choice", "default (asynchronous), detect or detect_beep (synchronous).",
          ("default", "detect", "detect_beep")),
    Param("beep_timeout", "int", "Seconds to wait for the beep.", minimum=30, maximum=120,
          unit="seconds"),
)

ACTION_PARAMS: dict[str, dict[str, Param]] = {
    "record": RECORD_PARAMS,
    "talk": _params(
        Param("text", "text", "What the text-to-speech voice says.", maximum=1500,
              required=True),
        Param("bargeIn", "bool", "Let the caller's key press interrupt the talk; the NCCO "
              "moves straight on (next action must be input).", default=False),
        Param("loop", "int", "How many times to say it; 0 repeats until the call ends.",
              minimum=0, maximum=100, default=1),
        Param("level", "number", "Volume.", minimum=-1, maximum=1, default=0),
        Param("language", "text", "Language of the voice.", default="en-US"),
        Param("style", "int", "Voice style.", minimum=0, maximum=100, default=0),
        Param("premium", "bool", "Use the premium voice.", default=False),
    ),
    "stream": _params(
        Param("streamUrl", "url_list", "The audio file to play.", required=True),
        Param("bargeIn", "bool", "Let the caller's key press interrupt the stream; the NCCO "
              "moves straight on (next action must be input).", default=False),
        Param("loop", "int", "How many times to play it; 0 repeats until the call ends.",
              minimum=0, maximum=100, default=1),
        Param("level", "number", "Volume.", minimum=-1, maximum=1, default=0),
    ),
    "input": _params(
        Param("type", "list", "What to collect.", ("dtmf", "speech"), required=True),
        Param("dtmf", "object", "Key-press settings.", fields=DTMF_FIELDS),
        Param("speech", "object", "Speech-recognition settings."),
        _event_url("the input event with the keys pressed"),
        _event_method(),
        # Node SDK @vonage/voice 1.21.0 types/NCCO/InputAction.d.ts and classes/NCCO/Input:
        # "Input processing mode, currently only applicable to DTMF. Valid values are
        # synchronous (the default) and asynchronous. If set to asynchronous, all DTMF
        # settings must be left blank." (https://app.unpkg.com/@vonage/voice@1.21.0/files/
        # dist/cjs/types/NCCO/InputAction.d.ts); fact sheet §3 (NCCO-2021, JAVA).
        Param("mode", "choice", "synchronous: keys are collected and sent together; "
              "asynchronous: each key is sent to the eventUrl as it is pressed.",
              ("synchronous", "asynchronous"), default="synchronous"),
    ),
    "connect": _params(
        Param("endpoint", "endpoint", "Who to connect: a list with one endpoint.",
              required=True),
        Param("from", "text", "Caller ID shown to the connected party."),
        Param("timeout", "int", "Seconds to ring the connected party.", minimum=3,
              maximum=120, default=60, unit="seconds"),
        Param("limit", "int", "Maximum length of the connected call.", minimum=1,
              maximum=7200, default=7200, unit="seconds"),
        Param("eventType", "choice", "Send the connected leg's events synchronously.",
              ("synchronous",)),
        Param("ringbackTone", "url_list", "Audio the caller hears while it rings."),
        _event_url("the connected leg's events"),
        _event_method(),
        Param("machineDetection", "choice", "What to do on a machine.", ("continue", "hangup")),
        # NCCO reference and the Python SDK's Connect model (vonage_voice models/ncco.py,
        # `randomFromNumber: Optional[bool]`, `advancedMachineDetection`); fact sheet §3.
        # The create-call body spells it random_from_number; the NCCO spells it camelCase.
        Param("randomFromNumber", "bool", "Use a random number of the application as "
              "caller ID (instead of from)."),
        Param("advancedMachineDetection", "object", "Advanced machine detection; overrides "
              "machineDetection.", fields=AMD_FIELDS),
    ),
    "conversation": _params(
        Param("name", "text", "The conversation's name.", required=True),
        Param("record", "bool", "Record the conversation.", default=False),
        Param("musicOnHoldUrl", "url_list", "Music while waiting for the moderator."),
        Param("startOnEnter", "bool", "Start the conversation when this leg joins.",
              default=True),
        Param("endOnExit", "bool", "End the conversation when this leg leaves.",
              default=False),
        Param("mute", "bool", "Join muted.", default=False),
        # Lists of leg UUIDs (NCCO reference; Python SDK Conversation `canSpeak:
        # Optional[list[str]]`, "if an empty list is provided, the participant will not be
        # heard by anyone"); fact sheet §3.
        Param("canSpeak", "id_list", "Legs that can hear this one ([] : nobody)."),
        Param("canHear", "id_list", "Legs this one can hear ([] : nobody)."),
        _event_url("the conversation's record event"),
        _event_method(),
    ),
    "notify": _params(
        Param("payload", "object", "The JSON body to send.", required=True),
        Param("eventUrl", "url_list", "Where to send it.", required=True),
        _event_method(),
    ),
    "wait": _params(
        Param("timeout", "number", "Seconds to wait.", minimum=0.1, maximum=7200,
              default=10, unit="seconds"),
    ),    # The NCCO transfer action (current NCCO reference action table; Python SDK 1.5.1
    # `Transfer`: conversationId required, canHear, canSpeak, mute; Java SDK); fact sheet §3.
    "transfer": _params(
        Param("conversationId", "text", "The existing conversation to move the legs into.",
              required=True),
        Param("canHear", "id_list", "Legs the moved legs can hear ([] : nobody)."),
        Param("canSpeak", "id_list", "Legs that can hear the moved legs ([] : nobody)."),
        Param("mute", "bool", "Move the legs in muted.", default=False),
    ),
}

def setting(action: str, body: dict, name: str):
    """`body[name]`, or the rules' default for that parameter of `action` (dtmf.x for input)."""
    if "." in name:
        outer, inner = name.split(".", 1)
        return (body.get(outer) or {}).get(inner, ACTION_PARAMS[action][outer].fields[inner]
                                           .default)
    return body.get(name, ACTION_PARAMS[action][name].default)


#: Whether an action holds the NCCO until it finishes (NCCO reference).
SYNCHRONOUS = {
    "record": False,
    "conversation": True,
    "connect": True,
    "talk": True,
    "stream": True,
    "input": True,
    "notify": True,
    "wait": True,
    "transfer": True,  # current NCCO reference action table: transfer, synchronous Yes
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an NCCO: where, which parameter, what was given, what is allowed."""

    index: int | None
    action: str | None
    parameter: str | None
    value: Any
    allowed: str
    message: str

    def as_invalid_parameter(self) -> dict:
        """The problem as an entry of a Vonage-style `invalid_parameters` list."""
        where = "ncco" if self.index is None else f"ncco[{self.index}]"
        name = where if self.parameter is None else f"{where}.{self.parameter}"
        return {"name": name, "reason": self.message, "value": _jsonable_or_repr(self.value),
                "allowed": self.allowed}

    def __str__(self) -> str:
        where = "NCCO" if self.index is None else f"action {self.index} ({self.action})"
        return f"{where}: {self.message}"


def _kind(value: Any) -> str:
    """A value's JSON type in words: 'an object', 'a number', 'null', ..."""
    for types, word in ((bool, "true/false"), (dict, "an object"), (str, "a string"),
                        ((int, float), "a number"), (type(None), "null")):
        if isinstance(value, types):
            return word
    return f"a {type(value).__name__}"


def _jsonable_or_repr(value: Any) -> Any:
    return value if _jsonable(value) else repr(value)


def _close_match(name: str, known: dict) -> str:
    for candidate in known:
        if candidate.lower() == name.lower():
            return f" Did you mean {candidate!r}? Names are case-sensitive."
    return ""


def _check_params(index: int, action: str, body: dict, table: dict[str, Param],
                  prefix: str = "") -> list[Problem]:
    problems = []
    for name, value in body.items():
        if not prefix and name == "action":
            continue
        name = str(name)
        param = table.get(name)
        if param is None:
            known = ", ".join(table)
            problems.append(Problem(index, action, prefix + name, value, f"one of: {known}",
                                    f"{action} has no parameter {prefix + name!r}."
                                    f"{_close_match(name, table)} Known: {known}."))
            continue
        if value is None and assumptions.NULL_MEANS_ABSENT:
            continue  # null is read as "not given" (see the assumption for the evidence)
        message = param.accepts(value)
        if message:
            problems.append(Problem(index, action, prefix + name, value, param.allowed(),
                                    prefix + message if prefix else message))
        elif param.kind == "object" and param.fields and isinstance(value, dict):
            problems += _check_params(index, action, value, param.fields, f"{prefix}{name}.")
    for name, param in table.items():
        if param.required and body.get(name) is None:
            problems.append(Problem(index, action, prefix + name, None, param.allowed(),
                                    f"{action} needs {prefix + name} ({param.allowed()})."))
    return problems


def endpoint_problem(value: Any) -> str | None:
    """Why `value` is not a list with one endpoint, or None. Required fields per type: phone
    `number` (PHONE_NUMBER), sip `uri` sip:/sips: and websocket `uri` ws:/wss: (NCCO schema
    ncco-schema.json endpoint-sip / endpoint-websocket, "required": ["uri"]), app `user` and
    vbc `extension` (Voice OpenAPI EndpointApp / EndpointVBCExtension "required")."""
    if not (isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict)):
        return "give a list holding exactly one endpoint object"
    endpoint = value[0]
    kind = endpoint.get("type", "phone")
    if kind not in ENDPOINT_TYPES:
        return f"type must be one of {', '.join(ENDPOINT_TYPES)}; you gave {kind!r}"
    if kind == "phone":
        number = endpoint.get("number")
        if not (isinstance(number, str) and PHONE_NUMBER.match(number)):
            return (f"a phone endpoint needs number, 7 to 15 digits 0-9 with no + or spaces; "
                    f"you gave {number!r}")
        return None
    field_name, prefixes = {"sip": ("uri", ("sip:", "sips:")), "websocket": (
        "uri", ("ws:", "wss:")), "app": ("user", ("",)), "vbc": ("extension", ("",))}[kind]
    given = endpoint.get(field_name)
    if not (isinstance(given, str) and given.strip() and given.startswith(prefixes)):
        start = " starting " + " or ".join(prefixes) if prefixes != ("",) else ""
        return f"a {kind} endpoint needs {field_name}{start}; you gave {given!r}"
    if kind == "websocket":
        return _websocket_problem(endpoint)
    return None


#: A websocket endpoint's `content-type` (WebSockets guide: 8 or 16 kHz 16-bit linear PCM;
#: NCCO reference and Python SDK `WebsocketEndpoint.contentType` add 24 kHz).
WEBSOCKET_CONTENT_TYPES = ("audio/l16;rate=8000", "audio/l16;rate=16000",
                           "audio/l16;rate=24000")


def _websocket_problem(endpoint: dict) -> str | None:
    """A websocket endpoint's content-type and headers (an object whose properties the first
    message carries at its top level: WebSockets guide, "First message")."""
    content_type = endpoint.get("content-type")
    if content_type is not None and content_type not in WEBSOCKET_CONTENT_TYPES:
        return (f"a websocket endpoint's content-type must be one of "
                f"{', '.join(WEBSOCKET_CONTENT_TYPES)}; you gave {content_type!r}")
    headers = endpoint.get("headers")
    if headers is not None and not isinstance(headers, dict):
        return f"a websocket endpoint's headers must be an object; you gave {headers!r}"
    return None


def native(action: Any) -> Any:
    """One NCCO action with its parameters in their JSON types: null fields left out
    (assumptions.NULL_MEANS_ABSENT) and "7200"/"false" read as 7200/False
    (assumptions.TEXT_NUMBERS_AND_BOOLEANS), nested settings too. Call it on a valid action:
    the simulator, explain() and the diagnoser read the result, never the text forms."""
    if not isinstance(action, dict):
        return action
    return native_body(action, ACTION_PARAMS.get(action.get("action"), {}))


def native_body(body: dict, table: dict[str, Param]) -> dict:
    """`body` with each parameter of `table` in its JSON type and null fields left out."""
    out = {}
    for name, value in body.items():
        if value is None and assumptions.NULL_MEANS_ABSENT:
            continue
        param = table.get(name)
        if param is not None:
            value = param.native(value)
            if param.fields and isinstance(value, dict):
                value = native_body(value, param.fields)
        out[name] = value
    return out


def normalise(ncco: list) -> list:
    """Every action of a valid NCCO through `native`."""
    return [native(action) for action in ncco]


def loose_values(ncco: Any) -> list[tuple[int, str, Any, Any]]:
    """Where an NCCO writes a value in a form the lab accepts but the NCCO reference does not
    show: (action index, parameter, as sent, as read). A null reads as None (left out)."""
    actions, _ = parse(ncco)
    found = []
    for index, body in enumerate(actions or []):
        if not isinstance(body, dict):
            continue
        table = ACTION_PARAMS.get(body.get("action"), {})
        stack = [("", body, table)]
        while stack:
            prefix, values, params = stack.pop(0)
            for name, value in values.items():
                param = params.get(name)
                if param is None:
                    continue
                if value is None and assumptions.NULL_MEANS_ABSENT:
                    found.append((index, prefix + name, None, None))
                elif param.native(value) is not value:
                    found.append((index, prefix + name, value, param.native(value)))
                elif param.fields and isinstance(value, dict):
                    stack.append((f"{prefix}{name}.", value, param.fields))
    return found


def parse(ncco: Any) -> tuple[list | None, list[Problem]]:
    """Accept an NCCO as a list or as JSON text; say clearly when it is neither."""
    if isinstance(ncco, (str, bytes)):
        try:
            ncco = json.loads(ncco)
        except json.JSONDecodeError as err:
            return None, [Problem(None, None, None, None, "a JSON list of actions",
                                  f"This is not valid JSON: {err.msg} at line {err.lineno}, "
                                  f"column {err.colno}.")]
    if isinstance(ncco, dict) and "action" in ncco:
        return None, [Problem(None, None, None, ncco, "a JSON list of actions",
                              "An NCCO is a list of actions: wrap this action in [ ].")]
    if not isinstance(ncco, list):
        return None, [Problem(None, None, None, _jsonable_or_repr(ncco),
                              "a JSON list of actions",
                              f"An NCCO must be a list of actions, [ ... ]; you gave "
                              f"{_kind(ncco)}.")]
    return ncco, []


def validate(ncco: Any) -> list[Problem]:
    """Every problem of an NCCO at once, each naming action, parameter, value and what is
    allowed. An empty list means the NCCO is valid."""
    actions, problems = parse(ncco)
    if actions is None:
        return problems
    if not actions:
        return [Problem(None, None, None, [], "at least one action",
                        "The NCCO is empty: add at least one action.")]
    for index, body in enumerate(actions):
        if not isinstance(body, dict):
            problems.append(Problem(index, None, None, _jsonable_or_repr(body),
                                    "an object with an 'action' key",
                                    f"Each action must be an object like "
                                    f'{{"action": "talk", ...}}; you gave {body!r}.'))
            continue
        name = body.get("action")
        if not isinstance(name, str) or name not in ACTION_PARAMS:
            known = ", ".join(ACTION_PARAMS)
            problems.append(Problem(index, None, "action", _jsonable_or_repr(name),
                                    f"one of: {known}",
                                    f"Unknown action {name!r}; use one of: {known}."))
            continue
        problems += _check_params(index, name, body, ACTION_PARAMS[name])
    # the rules between fields read "true" as True; a bad action is left as it is
    actions = [native(a) if isinstance(a, dict) and isinstance(a.get("action"), str)
               and a["action"] in ACTION_PARAMS else {"action": None} for a in actions]
    for index, body in enumerate(actions):
        kind = body["action"]
        if kind == "record":
            problems += _check_record_combination(index, body)
        if kind in ("talk", "stream") and body.get("bargeIn") is True:
            problems += _check_barge_in(index, actions)
        if kind == "conversation" and body.get("mute") and body.get("canSpeak"):
            # NCCO reference (fact sheet §3: "mute (not with canSpeak)"); the Python SDK's
            # Conversation raises "Cannot use mute option if canSpeak option is specified."
            problems.append(Problem(index, kind, "mute", True, "mute or canSpeak, not both",
                                    "mute cannot be combined with canSpeak: to silence this "
                                    "leg for everyone give \"canSpeak\": [] instead."))
        if kind == "connect" and body.get("from") is not None and body.get("randomFromNumber"):
            # NCCO reference: from xor randomFromNumber (fact sheet §3); Python SDK Connect:
            # "`from_` and `random_from_number` cannot be used together."
            problems.append(Problem(index, kind, "randomFromNumber", True,
                                    "from or randomFromNumber, not both",
                                    "Give either from or randomFromNumber: true, not both."))
        if kind == "input" and body.get("mode") == "asynchronous" and body.get("dtmf"):
            # Node SDK Input.mode doc: "If set to asynchronous, all DTMF settings must be
            # left blank."
            problems.append(Problem(index, kind, "dtmf", body["dtmf"],
                                    "no dtmf settings with mode asynchronous",
                                    "With mode asynchronous every key is sent as it is "
                                    "pressed, so the dtmf settings must be left out."))
    return problems


def _check_barge_in(index: int, actions: list[dict]) -> list[Problem]:
    """NCCO reference (2021 text, fact sheet §3): with bargeIn true "the next non-talk /
    non-stream action must be input"; bargeIn stays on through the talk and stream actions
    in between (even one that says false) until that input."""
    for following in actions[index + 1:]:
        if following.get("action") not in ("talk", "stream"):
            if following["action"] == "input":
                return []
            break
    body = actions[index]
    return [Problem(index, body["action"], "bargeIn", True,
                    "bargeIn true only when an input follows (after any talk or stream)",
                    "bargeIn is true, so the next action that is not a talk or stream must "
                    "be an input that collects the key press.")]


def _check_record_combination(index: int, body: dict) -> list[Problem]:
    channels = body.get("channels")
    if (body.get("format") == "mp3" and body.get("split") == "conversation"
            and isinstance(channels, int) and not isinstance(channels, bool)
            and channels > assumptions.MP3_MAX_CHANNELS):
        return [Problem(index, "record", "channels", channels,
                        f"at most {assumptions.MP3_MAX_CHANNELS} with format mp3",
                        f"An mp3 file holds at most {assumptions.MP3_MAX_CHANNELS} channels; "
                        f"for {channels} set format to 'wav' or 'ogg'. "
                        + assumptions.label("MP3_MAX_CHANNELS"))]
    return []


def is_blocking(action: dict) -> bool:
    """A record action blocks the NCCO exactly when endOnSilence, timeOut or endOnKey is set."""
    return any(action.get(name) is not None for name in BLOCKING_PARAMS)


def blocking_reason(action: dict) -> str:
    """Plain words: does this record action hold the NCCO, and why."""
    set_params = [name for name in BLOCKING_PARAMS if action.get(name) is not None]
    if not set_params:
        return ("Not blocking: none of " + ", ".join(BLOCKING_PARAMS) + " is set, so the NCCO "
                "moves straight on and the recording runs until the call ends.")
    names = set_params[0] if len(set_params) == 1 else (
        ", ".join(set_params[:-1]) + " and " + set_params[-1])
    verb = "is" if len(set_params) == 1 else "are"
    return (f"Blocking because {names} {verb} set: the next action waits until "
            f"{end_conditions(action)}.")


def end_conditions(action: dict) -> str:
    """What ends a record action, in words."""
    parts = []
    if action.get("endOnKey") is not None:
        parts.append(f"the caller presses {action['endOnKey']}")
    if action.get("endOnSilence") is not None:
        parts.append(f"{action['endOnSilence']} s of silence")
    timeout = action.get("timeOut")
    if timeout is not None:
        parts.append(f"{timeout} s have passed")
    else:
        parts.append(f"the {assumptions.DEFAULT_RECORD_TIMEOUT} s maximum is reached")
    parts.append("the call ends")
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def record_format(action: dict) -> str:
    """The format a record action produces: its own, else mp3 (wav above two channels)."""
    if action.get("format"):
        return action["format"]
    if channel_count(action) > assumptions.MP3_MAX_CHANNELS:
        return assumptions.DEFAULT_MULTICHANNEL_FORMAT
    return assumptions.DEFAULT_FORMAT


def channel_count(action: dict) -> int:
    """How many channels the recording of this record action has (channels without split:
    one, assumptions.CHANNELS_NEED_SPLIT)."""
    if action.get("split") != "conversation" and (
            assumptions.CHANNELS_NEED_SPLIT or not action.get("channels")):
        return 1
    return action.get("channels") or assumptions.DEFAULT_SPLIT_CHANNELS


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "\u2026"


def _describe_action(body: dict) -> str:
    name = body.get("action")
    if name == "talk":
        return f"talk \u201c{_clip(str(body.get('text', '')), 50)}\u201d"
    if name == "connect":
        endpoint = (body.get("endpoint") or [{}])[0]
        who = endpoint.get("number") or endpoint.get("uri") or endpoint.get("type", "?")
        return f"connect to {who}"
    return str(name)


def explain(ncco: Any) -> str:
    """Say in plain words what each record action of an NCCO records and what ends it."""
    problems = validate(ncco)
    if problems:
        # Only the NCCO reference's opening is quoted: "For your NCCO to execute correctly,
        # the JSON objects must be valid" (developer.vonage.com/en/voice/voice-api/
        # ncco-reference). What Vonage does with each invalid value is not documented, and
        # some rules here are lab assumptions, so the lab does not claim Vonage rejects it.
        return ("This NCCO is not valid by the lab's rules (Vonage's NCCO reference: \"for "
                "your NCCO to execute correctly, the JSON objects must be valid\"):\n"
                ) + "\n".join(
            f"  - {p}" for p in problems)
    actions, _ = parse(ncco)
    actions = normalise(actions)
    lines = []
    records = [i for i, a in enumerate(actions) if a["action"] == "record"]
    conversations = [i for i, a in enumerate(actions)
                     if a["action"] == "conversation" and a.get("record")]
    if not records and not conversations:
        return "Nothing is recorded: this NCCO has no record action."
    for i in records:
        action = actions[i]
        before = [_describe_action(a) for a in actions[:i]]
        after = actions[i + 1:]
        start = "as soon as the call is answered" if not before else (
            "only after " + ", ".join(before) + " finished")
        lines.append(f"Action {i} (record) starts recording {start}.")
        if is_blocking(action):
            lines.append("  " + blocking_reason(action))
            if action.get("timeOut") is None:
                lines.append("  " + assumptions.label("DEFAULT_RECORD_TIMEOUT"))
            if after:
                lines.append(f"  Then the NCCO continues with {_describe_action(after[0])}.")
        else:
            if after:
                lines.append("  Not blocking: the NCCO moves straight on to "
                             f"{_describe_action(after[0])} and the recording runs until the "
                             "call ends.")
            elif assumptions.RECORD_LAST_HOLDS_CALL:
                lines.append("  Not blocking, and it is the last action: the call stays up and "
                             "records until the caller hangs up (the rest of the call).")
                lines.append("  " + assumptions.label("RECORD_LAST_HOLDS_CALL"))
            else:
                lines.append("  Not blocking, and it is the last action: the NCCO is then "
                             "complete, so the call ends at once and the recording is "
                             "(nearly) empty.")
        fmt = record_format(action)
        channels = channel_count(action)
        layout = "mono, every party mixed" if channels == 1 else (
            f"{channels} channels: channel 0 what the caller says, channel 1 what they hear"
            + (", extra parties on the last channel" if channels > 2 else ""))
        lines.append(f"  Saved as {fmt}, {layout}.")
        if action.get("channels") and action.get("split") != "conversation" \
                and assumptions.CHANNELS_NEED_SPLIT:
            lines.append("  Note: channels has no effect without split: \"conversation\" "
                         "(the Python SDK adds split for you).")
            lines.append("  " + assumptions.label("CHANNELS_NEED_SPLIT"))
        if action.get("beepStart"):
            lines.append("  A beep marks the start.")
        target = (action.get("eventUrl") or ["the call's event_url"])[0]
        method = action.get("eventMethod", "POST")
        lines.append(f"  The record event with the download URL goes to {target} ({method}). "
                     f"Vonage keeps the file {assumptions.RETENTION_DAYS} days.")
        if action.get("transcription") is not None:
            lines.append("  A transcription is requested too (the Python SDK's Record model "
                         "drops this field: send it as plain JSON).")
    for i in conversations:
        lines.append(f"Action {i} (conversation) records the conversation from when the caller "
                     "joins until it ends.")
    return "\n".join(lines)


def record_table() -> list[dict[str, str]]:
    """Rows for a docs table of the record action, generated from RECORD_PARAMS."""
    return [
        {"parameter": p.name, "allowed": p.allowed(), "default": p.default_text(),
         "blocks the NCCO": "yes" if p.blocking else "no", "what it does": p.summary,
         "lab assumption": " ".join(assumptions.label(name) for name in p.assumptions)}
        for p in RECORD_PARAMS.values()
    ]
