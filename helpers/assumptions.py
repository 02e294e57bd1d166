"""Every behaviour the lab had to choose because no public source settled it.

The fact sheet marks these UNCONFIRMED. Each is kept here, once, so the simulator, the
rules, the widgets and the lessons all read the same value and a trainer who learns the
real behaviour can correct it in one place. Lessons that rely on one say so.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

#: `channels` without `split: "conversation"` does nothing: the file is mono, every party
#: mixed. UNCONFIRMED (fact sheet §1.1): the docs say only that split "must also be enabled"
#: for channels; whether Vonage then records mono, refuses, or splits anyway is not written.
#: (The Python SDK adds split itself when channels is given: checked, fact sheet §5.3.)
CHANNELS_NEED_SPLIT = True

#: Two record actions in one NCCO can record at the same time: a non-blocking one keeps
#: recording while a later one starts, so the overlap is in both files. UNCONFIRMED (fact
#: sheet §1.2: "whether two record actions can run at once" is not documented).
RECORDS_CAN_OVERLAP = True

#: Default `format` of a record action (Vonage docs say mp3; the SDK leaves it unset).
DEFAULT_FORMAT = "mp3"

#: `timeOut` when none is given: the documented maximum length of a recording, in seconds.
#: A recording without `timeOut` (blocking or not) is cut at this length.
DEFAULT_RECORD_TIMEOUT = 7200

#: A non-blocking `record` that is the *last* action keeps the call up and recording until
#: the callee hangs up. UNCONFIRMED (fact sheet §1.2, §7.3): the support article "How do I
#: record a certain part of the call" says only that such a recording should "terminate on
#: disconnect"; the NCCO reference says "When all the actions in the NCCO are complete, the
#: Call ends", which read literally ends the call (and the recording) at once. The simulator
#: can run a call either way (`helpers.switches.assume`, lesson 04).
RECORD_LAST_HOLDS_CALL = True

#: Recordings are kept for this many days after they end (seed article: 30 days).
RETENTION_DAYS = 30

#: A finished recording's file decodes to about `end_time` - `start_time` of its record event:
#: within this many seconds, or this fraction of that span if larger. UNCONFIRMED: the record
#: event documents `start_time`, `end_time` and `size` (fact sheet §2.1), not how closely the
#: file's length follows the two times (older payloads give them to the whole second). The
#: lab's files match to the millisecond. Lesson 11's download loop reads it: a copy of the
#: right size that decodes shorter is damaged and fetched again.
RECORDING_LENGTH_TOLERANCE_SECONDS = 1.0
RECORDING_LENGTH_TOLERANCE_FRACTION = 0.02

#: Status code for a download after retention: the file is gone, Vonage answers Not Found.
EXPIRED_RECORDING_STATUS = 404

#: The `detail` of that 404, and of a file id that never existed. UNCONFIRMED: no source shows
#: the body Vonage sends for an expired recording. The lab answers both with the generic
#: `not-found` text of Vonage's API errors page (https://developer.vonage.com/en/api-errors:
#: "The requested resource does not exist, or you do not have access to it"), so, as we expect
#: of live Vonage, the answer cannot tell an expired recording from a wrong URL.
FILE_NOT_FOUND_DETAIL = "The requested resource does not exist, or you do not have access to it"

#: Error answers carry Vonage's documented problem fields (fact sheet §4.6: type, title, detail,
#: instance; invalid_parameters entries with name and reason). The lab also echoes each refused
#: field's `value` and what is `allowed`, to help trainees; Vonage documents neither. Set this
#: to False to answer with the documented fields only.
ERROR_ECHOES_VALUE_AND_ALLOWED = True

#: Support article "Bad Request when ending calls immediately after creation": a call
#: needs about 1-2 s to be set up; a modify request before this (virtual) age gets 400.
CALL_SETUP_SECONDS = 1.5

#: A modify request on a call that has already ended gets this status (Vonage's answer for
#: an ended call is not documented; the lab answers 400 Bad Request with a clear detail).
ENDED_CALL_STATUS = 400

#: Seconds between the create request and the `ringing` event.
RINGING_AFTER_SECONDS = 0.5

#: How long a callee rings before it counts as unanswered when `ringing_timer` is not set.
DEFAULT_RINGING_TIMER = 60

#: Maximum call length when `length_timer` is not set (Vonage documents 7200 s).
DEFAULT_LENGTH_TIMER = 7200

#: Text-to-speech pace: seconds of audio per word of a `talk` text, and the floor.
TALK_SECONDS_PER_WORD = 0.4
TALK_MIN_SECONDS = 0.8

#: Length of a `stream` when the audio cannot be fetched: the URL's `duration=N` query
#: parameter if present, otherwise this many seconds.
DEFAULT_STREAM_SECONDS = 10.0


def talk_seconds(text: str) -> float:
    """How long the text-to-speech voice takes to say `text` once (TALK_SECONDS_PER_WORD)."""
    words = max(1, len(str(text).split()))
    return max(TALK_MIN_SECONDS, words * TALK_SECONDS_PER_WORD)


def stream_seconds(url: str) -> float:
    """Length of a stream's audio: the URL's `duration=N` query parameter, else the default."""
    try:
        value = float(parse_qs(urlparse(url).query).get("duration", [""])[0])
        if 0 < value <= 86400:
            return value
    except ValueError:
        pass
    return DEFAULT_STREAM_SECONDS

#: The beep played by `beepStart`: its length and pitch. The NCCO does not wait for it.
BEEP_SECONDS = 0.5
BEEP_HZ = 1000.0

#: One DTMF key press: tone length and the pause before the next key.
DTMF_TONE_SECONDS = 0.15
DTMF_GAP_SECONDS = 0.1

#: Sample rate of every recording, in Hz. Documented, not a lab assumption: the recording
#: guide's "File formats" section (REC-2021, Nexmo/nexmo-developer
#: _documentation/en/voice/voice-api/guides/recording.md): "MP3 files are recorded with a
#: 16-bit depth and a 16kHz sample rate. They have a constant bit rate of 32 Kbps. WAV files
#: are recorded with a 16-bit depth and a 16kHz sample rate." Kept here so one value serves
#: the simulator, the widgets and the lessons.
SAMPLE_RATE = 16000

#: MP3 recordings are constant bit rate, in kbit/s (same source and quote as SAMPLE_RATE).
MP3_BITRATE_KBPS = 32

#: With `split: conversation` and no `channels`, a recording has two channels:
#: channel 0 what the first leg (the caller) says, channel 1 what they hear (documented:
#: recording guide, "the audio sent by the initial caller" / "the audio the caller hears").
DEFAULT_SPLIT_CHANNELS = 2

#: Channels follow the participants in the order they joined the call (documented by the
#: recording guide's "Multi channel recording" example: `channels: 3` and two `connect`s give
#: the caller and both callees a channel each; a third `connect` would put "participants
#: three and four ... in channel 3 together", so extras share the last channel). The
#: docs do not say whether a party who left before the recording began still takes a
#: channel: lab assumption, it does not; the channels go to the parties on the call at some
#: moment of the recording, the first leg always first, then by answer time.
CHANNELS_ONLY_FOR_PARTIES_IN_THE_RECORDING = True

#: Where the NCCO's own audio (talk, stream, beepStart, DTMF sent through the API) lands in
#: a split recording, as a channel index (clipped to the last channel). With two channels
#: this is the documented "what the caller hears" side. With three or more the docs are
#: silent (the NCCO's audio is nobody's leg): lab assumption, it stays on channel 1, so it
#: shares the channel of the second participant (the first one connected).
NCCO_AUDIO_CHANNEL = 1

#: An MP3 file holds one or two channels. When a split recording has more than two channels
#: and no `format`, it is made as wav (documented: NCCO reference, Java and .NET SDK docs:
#: "mp3, or wav when recording more than 2 channels"). UNCONFIRMED (fact sheet §1.1): what
#: Vonage does with an explicit mp3 and more channels; the lab rejects it.
MP3_MAX_CHANNELS = 2
DEFAULT_MULTICHANNEL_FORMAT = "wav"

#: Signed webhooks (Vonage: "webhooks include a JWT in the Authorization header", signed with
#: the account's signature secret; "compare a SHA-256 hash of the payload to the payload_hash
#: claim"; the payload is "a JSON string with no whitespace" of the POST body or, for GET, of
#: the query parameters in order; the SDK verifies with HS256). UNCONFIRMED, chosen here: the
#: header reads "Bearer <JWT>" (a bare token is accepted too), the hash is lowercase hex of the
#: exact body bytes, the claims are iat, jti, iss, api_key, application_id and payload_hash
#: (no exp), iss is this value, and the receiver allows this much clock skew on iat.
SIGNED_WEBHOOK_ISSUER = "Vonage"
SIGNED_WEBHOOK_LEEWAY = 60

#: Webhook delivery (event, record, transcription webhooks). Vonage's webhook reference: "Fallback
#: URL is used when either the Answer or Event webhook fails or returns an HTTP error status";
#: Vonage's "Build High Availability Voice API Applications" (blog, 2020-12-09): before the
#: fallback "the platform will retry the request to your original answer/event URL ... after one
#: second by default". Support article "What happens if the NCCO download request fails?": a
#: retry follows a connect/socket time-out, a reset, or 429/503/504. Live Vonage gives up after
#: that one retry and the fallback; how long it keeps trying is UNCONFIRMED. Chosen here (a lab
#: assumption, so a receiver restarted within ~30 s loses nothing): after a connection error, a
#: time-out, a 429 or any 5xx the simulator tries again after each of these delays (seconds),
#: then gives up and says so in the call's timeline.
WEBHOOK_RETRY_DELAYS = (1.0, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0)
WEBHOOK_RETRY_STATUSES = frozenset({429, *range(500, 600)})

#: Time-outs of one webhook attempt, in seconds. Support article "How to configure the custom
#: webhook timeout": connection time-out 300-1000 ms; socket time-out 1000-5000 ms for answer
#: and fallback URLs, 1000-10000 ms for the event URL. The defaults are UNCONFIRMED; the lab
#: uses the top of each documented range.
WEBHOOK_CONNECT_TIMEOUT = 1.0
EVENT_READ_TIMEOUT = 10.0
ANSWER_READ_TIMEOUT = 5.0

#: Every webhook the simulator sends carries this header: one id per event, the same on every
#: retry, so a receiver can drop a repeat. Vonage's payloads have no such field (fact sheet
#: §2.1-2.3) and its signed-webhook JWT has a `jti` per request; the header is the lab's own.
EVENT_ID_HEADER = "X-Lab-Event-Id"

#: JSON `null` for an optional field means the field is absent. UNCONFIRMED. Evidence read:
#: Vonage's own Python SDK never sends null (it serialises with exclude_none=True, fact sheet
#: §5.3), and the published NCCO JSON Schema types every field (ncco-schema.json, e.g.
#: "eventUrl": {"type": "array"}), which formally excludes null; no source says what the
#: platform does with a null. Outside clients (JS `undefined` -> null, dataclass dumps) send
#: it, so the lab reads null as "not given" (a required field given as null is missing) and
#: the diagnoser adds a notice telling the trainee to leave the field out instead.
NULL_MEANS_ABSENT = True

#: Numbers and booleans sent as JSON strings ("timeOut": "7200", "beepStart": "false") are
#: read as the number or boolean they spell. Evidence: the PHP SDK and older .NET SDK always
#: send them so (fact sheet §1.1, PHP Record.php), Vonage's snippet record-a-conversation.py
#: sends "record": "true" (Vonage/vonage-python-code-snippets voice/record-a-conversation.py),
#: and the Voice OpenAPI types `level` of talk/stream into a call as a string
#: (voice-openapi.yml lines 333-336 and 354-357). How strict Vonage is with other spellings
#: ("yes", "1e3", " 7 ") is UNCONFIRMED: the lab accepts only plain decimal digits (with an
#: optional minus and fraction) and "true"/"false", and refuses the rest.
TEXT_NUMBERS_AND_BOOLEANS = True

#: An NCCO `transfer` action moves the legs into another existing conversation and ends the
#: current NCCO (fact sheet §3, PY-pypi `Transfer`). The simulator has no other conversation:
#: the call stays up there, as in a `conversation`, until a party hangs up or length_timer.
TRANSFER_ACTION_HOLDS_CALL = True

#: A transfer to a new NCCO (`PUT /v1/calls/{uuid}`, "Modify an in-progress call") ends the
#: action it interrupts, so a blocking record ends there; whether a non-blocking record still
#: running in the background goes on is UNCONFIRMED (fact sheet §2.1). The lab keeps it
#: recording until the call ends, as a record that started before the transfer; False ends it
#: at the transfer.
TRANSFER_KEEPS_BACKGROUND_RECORDING = True

#: An inbound call is answered by the platform (not by a person) this long after `ringing`.
#: The callee script set for the caller's number then runs, its times counted from the answer.
INBOUND_ANSWER_AFTER_SECONDS = 0.5

#: Answer URL requests (fact sheet §2.2; support article "What happens if the NCCO download
#: request fails?"): tried again after a connect/socket time-out, a reset, or 429/503/504, not
#: after other errors or a bad NCCO; then `fallback_answer_url` the same way. The docs say
#: "retried twice" or "attempted twice"; the lab makes two attempts in all per URL, one
#: second apart (Vonage blog "Build High Availability Voice API Applications", 2020-12-09:
#: "retry ... after one second by default").
ANSWER_ATTEMPTS = 2
ANSWER_RETRY_DELAY = 1.0
ANSWER_RETRY_STATUSES = frozenset({429, 503, 504})

#: The status a call ends with when no usable NCCO came from the answer (and fallback) URL,
#: after the error event. UNCONFIRMED: Vonage does not document it; `failed` ("could not
#: connect") is the lab's choice.
ANSWER_FAILED_STATUS = "failed"

#: A slow answer URL (support article title "Why is there an extended silence at the
#: beginning of a call"; Vonage blog "Best Practices for Contact Center with Vonage Voice API
#: and Client SDK", 2023-05-09: "If your webhook endpoint takes a long time to return an NCCO,
#: for example, 4 seconds, your customer calling in won't be able to hear anything except for
#: silence during those 4 seconds"; NCCO reference: the NCCO is fetched when the call is
#: answered). UNCONFIRMED: when the `answered` event is sent. Chosen here: the call counts as
#: answered when the answer URL is asked (the `answered` event, the caller's script clock and
#: the timeline's zero), and its NCCO starts when the reply arrives; the caller hears silence
#: in between. False: the call counts as answered when the reply arrives.
ANSWERED_BEFORE_NCCO = True

#: How long an answer URL took, as the simulator counts it: the reply's own statement in this
#: header (seconds), never the wall time it measured, so the same notebook gives the same
#: timeline on every run. The lab's receiver sends it when `lab.answer(..., delay=N)` makes it
#: wait N real seconds before replying. Vonage knows no such header (it would just wait); an
#: answer URL without it costs no virtual time, however long it really took.
ANSWER_SECONDS_HEADER = "X-Lab-Answer-Seconds"


#: A callee's network conditions (`{"network": {"jitter_ms": 80, "loss": 0.05}}` in its script)
#: degrade that party's audio in the recording the way a receiver's jitter buffer with packet
#: loss concealment would (helpers/simulator/network.py). Vonage documents none of this for its
#: media servers: jitter, loss and latency are shown per call leg by Voice Inspector, nothing
#: says how the platform buffers or conceals. Lab assumptions, each below:
#: - audio travels in packets of this many milliseconds (RFC 3551 §4.2: the default
#:   packetization interval "SHOULD have a duration of 20 ms or one frame, whichever is
#:   longer");
NETWORK_PACKET_MS = 20
#: - a fixed jitter buffer plays each packet this long after it was sent (on top of the
#:   network's steady delay); a packet whose extra delay is longer arrives too late and is
#:   dropped. Typical buffers hold 60-200 ms (e.g. Telnyx's SIP jitter buffer defaults).
#:   Each packet's extra delay is drawn from an exponential distribution whose mean is the
#:   given `jitter_ms`: for that distribution the mean difference between consecutive
#:   packets, which RFC 3550's interarrival jitter estimates, equals the mean, so the figure a
#:   monitoring tool reports is the figure the script gives;
JITTER_BUFFER_MS = 100
#: - a dropped packet (lost, or late) is concealed by repeating the last packet that arrived,
#:   at full level for PLC_FULL_MS and then fading linearly to silence PLC_SILENT_AFTER_MS after
#:   the loss began (the shape of G.711 Appendix I's concealment: "after the first 10 ms, the
#:   signal is progressively attenuated, such that after 60 ms the synthesized signal is
#:   zero"; Appendix I repeats pitch periods, the lab whole packets).
PLC_FULL_MS = 10
PLC_SILENT_AFTER_MS = 60

#: A WebSocket leg's clock (WebSockets guide: 20 ms binary frames; nothing says how platform
#: time maps to a socket's). The simulator's calls run on a virtual clock, so a socket leg's
#: time is counted in the frames sent to it: frame k carries [k * 20 ms, (k + 1) * 20 ms) of
#: the call's audio, and the next frame goes once the socket has answered the last one (a
#: frame of audio back, or any message), or after SOCKET_REPLY_WAIT seconds of real time if
#: it sends nothing (a paced call waits for its own pace instead). A close from the server is
#: placed at the end of the last frame sent, so a server that closes after N frames closes at
#: N * 20 ms, every time. The lab's own socket (`lab.socket`) answers every frame.
SOCKET_REPLY_WAIT = 0.02
#: Seconds to open a WebSocket before the leg counts as `failed` (the answer URL's TCP limit,
#: fact sheet §2.2; the WebSockets guide gives none).
SOCKET_CONNECT_TIMEOUT = 3.0


# --- labels: where a text rests on one of the choices above, it says so ----------------------

#: Constant name -> (what the lab does, what the docs say). Each value reads after
#: "lab assumption: " and "; the docs say ", so every text that rests on a constant can carry
#: the same one line (`label`). A trainer who settles a point edits it here, once.
LABELS: dict[str, tuple[str, str]] = {
    "RECORD_LAST_HOLDS_CALL": (
        "a record with no end condition that is the last action keeps the call up, "
        "recording, until the caller hangs up",
        "only that such a recording should \"terminate on disconnect\" (support article "
        "\"How do I record a certain part of the call\"), while the NCCO reference says "
        "\"When all the actions in the NCCO are complete, the Call ends\"",
    ),
    "DEFAULT_RECORD_TIMEOUT": (
        f"a recording that nothing else ends stops after {DEFAULT_RECORD_TIMEOUT} s",
        f"{DEFAULT_RECORD_TIMEOUT} s is the largest timeOut and the call's default "
        "length_timer; no page gives a recording without timeOut its own limit",
    ),
    "MP3_MAX_CHANNELS": (
        f"format mp3 with more than {MP3_MAX_CHANNELS} channels is refused",
        f"the format is \"mp3, or wav when recording more than {MP3_MAX_CHANNELS} channels\" "
        "when none is given; what happens to an explicit mp3 is not written",
    ),
    "CHANNELS_NEED_SPLIT": (
        "channels without split: \"conversation\" gives one mixed (mono) channel",
        "split \"must also be enabled\" for channels; what happens without it is not written",
    ),
    "RECORDS_CAN_OVERLAP": (
        "two record actions can record at the same time, so the overlap is in both files",
        "each record makes its own recording and record event; whether two can run at once "
        "is not written",
    ),
    "BEEP_SECONDS": (
        f"the beep is {BEEP_SECONDS} s at {BEEP_HZ:.0f} Hz and is heard at the start of the file",
        "beepStart plays \"a beep\" when the recording starts; its length, pitch and whether "
        "the file holds it are not written",
    ),
    "ANSWERED_BEFORE_NCCO": (
        "the call is answered when the answer URL is asked, and its NCCO starts when the "
        "reply arrives, so the caller hears silence for as long as the answer URL takes",
        "the caller hears \"nothing except for silence\" while the answer URL takes its time "
        "(Vonage blog \"Best Practices for Contact Center\"); when the answered event is sent "
        "is not written",
    ),
    "JITTER_BUFFER_MS": (
        f"audio travels in {NETWORK_PACKET_MS} ms packets and a fixed {JITTER_BUFFER_MS} ms "
        "jitter buffer drops every packet delayed longer than that (each packet's extra delay "
        "is exponential with the script's jitter_ms as its mean)",
        "nothing about how the platform buffers a party's audio; Voice Inspector shows jitter, "
        "packet loss and latency per call leg",
    ),
    "PLC_SILENT_AFTER_MS": (
        f"a dropped packet is concealed by repeating the last packet that arrived, full for "
        f"{PLC_FULL_MS} ms, then fading to silence {PLC_SILENT_AFTER_MS} ms after the loss "
        "began (after G.711 Appendix I)",
        "nothing about how the platform conceals lost audio in a recording",
    ),
    "SOCKET_REPLY_WAIT": (
        "a WebSocket leg's time is counted in the 20 ms frames sent to it, and a socket that "
        "closes is heard to close at the end of the last frame it was sent",
        "each binary message is 20 ms of audio (WebSockets guide); how long Vonage takes to "
        "notice a close is not written",
    ),
    "TRANSFER_KEEPS_BACKGROUND_RECORDING": (
        "a non-blocking record running when the call is transferred to a new NCCO goes on "
        "recording until the call ends",
        "a transfer replaces the NCCO (Voice API reference, \"Modify an in-progress call\"); "
        "whether it stops a recording running in the background is not written",
    ),
    "EXPIRED_RECORDING_STATUS": (
        f"a download after {RETENTION_DAYS} days gets {EXPIRED_RECORDING_STATUS} Not Found",
        f"recordings are kept {RETENTION_DAYS} days; the answer after that is not written",
    ),
}


def label(name: str) -> str:
    """The one line a text carries when it rests on the assumption `name`: "Lab assumption
    (NAME): what the lab does; the docs say what they say." """
    from .settled import settled_line  # a trainer's live result replaces the assumption

    settled = settled_line(name)
    if settled is not None:
        return settled
    lab, docs = LABELS[name]
    return f"Lab assumption ({name}): {lab}; the docs say {docs}."
