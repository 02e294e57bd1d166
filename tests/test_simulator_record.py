"""Each statement of the seed article, and every record parameter, through the real SDK."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pytest
import soundfile

from helpers import assumptions, callees, calls, switches, tts

TALKER, PRESSES_HASH, SILENT, VOICEMAIL, AGENT, KEYPAD, EARLY = (
    "447700900001", "447700900002", "447700900005", "447700900006", "447700900007",
    "447700900008", "447700900009")


def run(lab, ncco, to=TALKER, recordings=1, **options):
    """Place a call, wait for its record events and its end; return what a test checks."""
    call = calls.place_call(lab, ncco, to=to, quiet=True, **options)
    events = [calls.wait_for_recording(lab, call, nth=n + 1) for n in range(recordings)]
    calls.wait_until_ended(lab, call)
    return call, events, calls.timeline(lab, call)


def starts(timeline, action):
    """Times (seconds after answer) at which actions of this kind started."""
    return [round(e["t"] - timeline.answered, 3) for e in timeline.log
            if e["what"] == "action" and e["action"] == action]


def window(timeline, n=0):
    rec = timeline.recordings[n]
    return round(rec.start - timeline.answered, 3), round(rec.end -
                                                               timeline.answered, 3)


def seconds_between(event):
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(event["end_time"]) - parse(event["start_time"])).total_seconds()


def load(lab, event, folder):
    path = calls.download_recording(lab, event, folder)
    samples, rate = soundfile.read(path, always_2d=True)
    return path, samples, rate


def test_record_first_without_timeout_records_the_whole_call(lab, downloads):
    """Seed: record first, no time-out: it does not block and spans every later action."""
    ncco = [{"action": "record"}, {"action": "talk", "text": "Welcome to the support line"},
            {"action": "wait", "timeout": 3}]
    call, (event,), tl = run(lab, ncco, to=SILENT)
    assert starts(tl, "talk") == [0.0]  # the NCCO moved straight on
    talk = tts.talk_seconds("Welcome to the support line")  # the spoken length
    assert window(tl) == (0.0, pytest.approx(talk + 3, abs=1e-3))  # the NCCO ran out: ended
    assert tl.end_reason == "the NCCO ran out of actions"
    path, samples, rate = load(lab, event, downloads)
    assert len(samples) / rate == pytest.approx(seconds_between(event), abs=0.05)
    assert path.stat().st_size == event["size"]


def test_record_last_without_timeout_records_the_rest_until_hangup(lab, downloads):
    """Seed: record last, no time-out: records from there until the caller disconnects."""
    ncco = [{"action": "talk", "text": "Please leave a message after the tone"},
            {"action": "record", "beepStart": True}]
    call, (event,), tl = run(lab, ncco, to=VOICEMAIL)
    talk = tts.talk_seconds("Please leave a message after the tone")
    assert window(tl) == (pytest.approx(talk, abs=1e-3), pytest.approx(16.0))  # hangup at 16 s
    assert tl.end_reason == "the person on the call hung up"


def test_record_last_the_reference_s_way_ends_the_call_when_the_ncco_runs_out(lab):
    """RECORD_LAST_HOLDS_CALL switched off for the calls of one block (lesson 04): "When all
    the actions in the NCCO are complete, the Call ends", so the recording is (nearly) empty."""
    ncco = [{"action": "talk", "text": "Please leave a message after the tone"},
            {"action": "record", "beepStart": True}]
    with switches.assume(lab, RECORD_LAST_HOLDS_CALL=False) as now:
        assert now["RECORD_LAST_HOLDS_CALL"] is False
        _, (event,), tl = run(lab, ncco, to=VOICEMAIL)
    assert switches.assumed(lab)["RECORD_LAST_HOLDS_CALL"] is assumptions.RECORD_LAST_HOLDS_CALL
    start, end = window(tl)
    assert end - start < 0.1 and tl.status == "completed"
    assert "ran out of actions" in tl.end_reason or "no more actions" in tl.end_reason


def test_only_known_assumptions_can_be_switched_and_only_to_true_or_false(lab):
    http = lab.vonage.http_client
    for body in ({"NO_SUCH_THING": True}, {"RECORD_LAST_HOLDS_CALL": "no"}, {}):
        with pytest.raises(Exception) as err:
            http.put(lab.api_host, "/_sim/assumptions", body)
        assert "400" in str(err.value) or "Invalid" in str(err.value)
    assert switches.assumed(lab)["RECORD_LAST_HOLDS_CALL"] is assumptions.RECORD_LAST_HOLDS_CALL


def test_record_last_with_a_silent_caller_runs_until_length_timer(lab):
    ncco = [{"action": "record"}]
    _, (event,), tl = run(lab, ncco, to=SILENT, length_timer=40)
    assert window(tl) == (0.0, 40.0)
    assert tl.end_reason == "length_timer reached"


def test_end_on_key_blocks_until_the_key_then_continues(lab):
    """Seed: "endOnKey": "#" records until # is pressed, then the NCCO proceeds."""
    ncco = [{"action": "record", "endOnKey": "#"}, {"action": "talk", "text": "Thank you"}]
    _, (event,), tl = run(lab, ncco, to=PRESSES_HASH)
    press = 5.0  # the persona presses # five seconds after answering
    assert window(tl) == (0.0, pytest.approx(press + assumptions.DTMF_TONE_SECONDS))
    assert tl.recordings[0].ended_by == "endOnKey #"
    assert starts(tl, "talk") == [pytest.approx(press + assumptions.DTMF_TONE_SECONDS)]


def test_end_on_key_ignores_other_keys(lab):
    ncco = [{"action": "record", "endOnKey": "*", "timeOut": 20}]
    _, _, tl = run(lab, ncco, to=KEYPAD)
    assert tl.recordings[0].ended_by != "endOnKey *"


def test_end_on_silence_ends_after_n_quiet_seconds(lab):
    """The voicemail caller: 2 s quiet, 8 s message, then quiet: 3 s later it ends."""
    ncco = [{"action": "record", "endOnSilence": 3}, {"action": "talk", "text": "Bye"}]
    _, _, tl = run(lab, ncco, to=VOICEMAIL)
    assert window(tl) == (0.0, pytest.approx(13.0))
    assert tl.recordings[0].ended_by == "endOnSilence 3"
    assert starts(tl, "talk") == [pytest.approx(13.0)]


def test_end_on_silence_with_a_silent_caller(lab):
    _, _, tl = run(lab, [{"action": "record", "endOnSilence": 5}], to=SILENT)
    assert window(tl) == (0.0, 5.0)


def test_time_out_blocks_for_exactly_that_long(lab):
    ncco = [{"action": "record", "timeOut": 4}, {"action": "talk", "text": "Time is up"}]
    _, (event,), tl = run(lab, ncco, to=TALKER)
    assert window(tl) == (0.0, 4.0)
    assert starts(tl, "talk") == [4.0]
    assert seconds_between(event) == pytest.approx(4.0, abs=0.002)


def test_blocking_and_non_blocking_differ_only_in_when_the_next_action_starts(lab):
    blocking = run(lab, [{"action": "record", "timeOut": 6},
                         {"action": "talk", "text": "Next"}], to=SILENT)[2]
    free = run(lab, [{"action": "record"}, {"action": "talk", "text": "Next"}], to=SILENT)[2]
    assert starts(blocking, "talk") == [6.0]
    assert starts(free, "talk") == [0.0]


def test_two_hour_time_out_costs_virtual_time_only(lab):
    ncco = [{"action": "record", "timeOut": 7200, "format": "wav"}]
    calls.set_callee(lab, "447700900070", [], answer_after=0.5)  # silent, never hangs up
    _, (event,), tl = run(lab, ncco, to="447700900070", length_timer=86400)
    assert window(tl) == (0.0, 7200.0)
    assert event["size"] == 44 + 7200 * assumptions.SAMPLE_RATE * 2


@pytest.mark.parametrize("fmt", ["mp3", "wav", "ogg"])
def test_formats_decode_to_the_window_and_match_the_event_size(lab, downloads, fmt):
    ncco = [{"action": "record", "format": fmt, "timeOut": 7}]
    _, (event,), _ = run(lab, ncco, to=TALKER)
    path, samples, rate = load(lab, event, downloads)
    assert path.suffix == "." + fmt
    assert path.stat().st_size == event["size"]
    assert len(samples) / rate == pytest.approx(7.0, abs=0.05)
    assert np.abs(samples).max() > 0.05  # the caller's speech is in it


def test_default_format_is_the_lab_assumption(lab, downloads):
    _, (event,), _ = run(lab, [{"action": "record", "timeOut": 3}])
    path = calls.download_recording(lab, event, downloads)
    assert path.suffix == "." + assumptions.DEFAULT_FORMAT


def energy(samples, rate, start, end, channel):
    part = samples[int(start * rate):int(end * rate), channel]
    return float(np.sqrt(np.mean(part ** 2))) if len(part) else 0.0


def test_split_conversation_separates_what_is_said_from_what_is_heard(lab, downloads):
    # talker speaks 0-3 s after answer; the talk plays 0-2 s on the app side
    ncco = [{"action": "record", "split": "conversation", "format": "wav", "timeOut": 10},
            {"action": "wait", "timeout": 10}]
    call = calls.place_call(lab, ncco, to=TALKER, quiet=True)
    event = calls.wait_for_recording(lab, call)
    _, samples, rate = load(lab, event, downloads)
    assert samples.shape[1] == 2
    assert energy(samples, rate, 0.2, 2.8, 0) > 0.05  # the caller speaks: channel 0
    assert energy(samples, rate, 0.2, 2.8, 1) == 0.0  # nothing played: channel 1 silent
    ncco = [{"action": "record", "split": "conversation", "format": "wav", "timeOut": 5},
            {"action": "talk", "text": "one two three four five six seven"}]
    _, (event,), _ = run(lab, ncco, to=SILENT)
    _, samples, rate = load(lab, event, downloads)
    assert energy(samples, rate, 0.0, 5.0, 0) == 0.0  # the silent caller says nothing
    assert energy(samples, rate, 0.0, 5.0, 1) == 0.0  # blocking record: the talk waits


def _connect(number):
    return {"action": "connect", "from": "447700900000",
            "endpoint": [{"type": "phone", "number": number}]}


def _check_channels(samples, rate, tl, expected_channel):
    """Every sound is on its expected channel, and each channel holds nothing else."""
    rec = tl.recordings[0]
    masks = np.zeros(samples.shape, dtype=bool)
    for s in tl.sounds:
        a = max(s.start, rec.start) - rec.start
        b = min(s.end if s.end is not None else rec.end, rec.end) - rec.start
        if b <= a:
            continue
        channel = expected_channel(s.source)
        masks[int(a * rate):int(np.ceil(b * rate)) + 1, channel] = True
        if s.kind in ("speech", "tts") and b - a > 0.6:
            assert energy(samples, rate, a + 0.2, b - 0.2, channel) > 0.02, (s, channel)
    assert np.all(samples[~masks] == 0.0)  # no channel holds anyone else's sound


def test_channels_follow_participants_in_join_order(lab, downloads):
    """The recording guide's 'Multi channel recording' worked example.

    `channels: 3` then two `connect`s: the caller and both callees each get a channel, in the
    order they joined; the NCCO's talk lands where assumptions.NCCO_AUDIO_CHANNEL says.
    """
    caller, second, third = "447700900071", "447700900072", "447700900073"
    calls.set_callee(lab, caller, [{"speak": 2.0}], answer_after=0.5)  # stays on, silent
    for number in (second, third):
        calls.set_callee(lab, number, [{"silence": 0.5}, {"speak": 2.0}, {"hangup": True}],
                         answer_after=1.0)
    record = {"action": "record", "split": "conversation", "channels": 3, "format": "wav"}
    talk = {"action": "talk", "text": "Connecting you now"}

    _, (event,), tl = run(lab, [record, talk, _connect(AGENT), _connect(second)], to=caller)
    _, samples, rate = load(lab, event, downloads)
    assert samples.shape[1] == 3
    agent, other = tl.legs
    assert (agent.number, other.number) == (AGENT, second)
    assert tl.recordings[0].participants == (0, agent.source, other.source)
    join = {0: 0, agent.source: 1, other.source: 2, 1: assumptions.NCCO_AUDIO_CHANNEL}
    _check_channels(samples, rate, tl, join.__getitem__)

    # "If a third connect was added ... participants three and four would be in channel 3
    # together": the fourth person shares the last channel with the third.
    _, (event,), tl = run(lab, [record, talk, _connect(AGENT), _connect(second),
                                _connect(third)], to=caller)
    _, samples, rate = load(lab, event, downloads)
    assert samples.shape[1] == 3
    sources = [leg.source for leg in tl.legs]
    assert tl.recordings[0].participants == (0, *sources)
    join = {0: 0, sources[0]: 1, sources[1]: 2, sources[2]: 2,
            1: assumptions.NCCO_AUDIO_CHANNEL}
    _check_channels(samples, rate, tl, join.__getitem__)
    third_leg = tl.legs[2]
    start = third_leg.answered - tl.recordings[0].start
    assert energy(samples, rate, start + 0.7, start + 2.3, 2) > 0.02  # the fourth, channel 3


def test_split_without_channels_is_what_the_first_leg_says_and_hears(lab, downloads):
    ncco = [{"action": "record", "split": "conversation", "format": "wav"},
            {"action": "talk", "text": "Connecting you now"}, _connect(AGENT)]
    _, (event,), tl = run(lab, ncco, to=TALKER)
    _, samples, rate = load(lab, event, downloads)
    assert samples.shape[1] == 2
    heard = {0: 0, 1: 1, tl.legs[0].source: 1}  # the talk and the agent: what it hears
    _check_channels(samples, rate, tl, heard.__getitem__)


def test_beep_start_puts_a_beep_at_the_start(lab, downloads):
    ncco = [{"action": "record", "beepStart": True, "format": "wav", "timeOut": 3}]
    _, (event,), _ = run(lab, ncco, to=SILENT)
    _, samples, rate = load(lab, event, downloads)
    beep = samples[: int(assumptions.BEEP_SECONDS * rate), 0]
    spectrum = np.abs(np.fft.rfft(beep))
    peak_hz = np.argmax(spectrum) * rate / len(beep)
    assert peak_hz == pytest.approx(assumptions.BEEP_HZ, abs=10)
    assert np.abs(samples[int((assumptions.BEEP_SECONDS + 0.05) * rate):]).max() == 0.0


def test_event_url_and_method_send_the_record_event_where_asked(lab):
    url = lab.event_url("/recordings-here")
    ncco = [{"action": "record", "timeOut": 3, "eventUrl": [url], "eventMethod": "GET"}]
    call, (event,), tl = run(lab, ncco)
    assert event["_received"]["method"] == "GET"
    assert event["_received"]["path"] == "/recordings-here"
    assert int(event["size"]) > 0
    assert set(event) >= {"start_time", "end_time", "size", "recording_url", "recording_uuid",
                          "conversation_uuid", "timestamp"}


def test_without_any_event_url_the_record_event_goes_nowhere(lab, monkeypatch):
    monkeypatch.setattr(lab.simulator, "retry_delays", (0.05,))  # retried once, quickly
    call = calls.place_call(lab, [{"action": "record", "timeOut": 3}], quiet=True,
                            event_url="http://127.0.0.1:9/unused")
    lab.simulator.wait_idle(30)
    tl = calls.timeline(lab, call)
    record = [e for e in tl.events if e["kind"] == "record"]
    assert record and record[0]["url"] == "http://127.0.0.1:9/unused"
    failed = [d for d in tl.deliveries if d["event"] == "record"]
    assert "error" in failed[0]  # nobody listening, even after the retries: the event is lost
    assert failed[0]["attempts"] == 2


def test_transcription_sends_a_transcript_event(lab, downloads):
    ncco = [{"action": "record", "timeOut": 8,
             "transcription": {"language": "en-GB", "eventUrl": [lab.event_url("/tx")]}}]
    call = calls.place_call(lab, ncco, to=TALKER, quiet=True)
    calls.wait_for_recording(lab, call)
    tx = lab.events.wait_for(lambda r: "transcription_url" in r and
                             r.get("conversation_uuid") == call.conversation_uuid)
    assert tx["_received"]["path"] == "/tx"
    path = calls.download_recording(lab, {"recording_url": tx["transcription_url"],
                                          "recording_uuid": "t"}, downloads)
    assert "order" in path.read_text()  # what the talker said, from its script


def test_sdk_model_drops_transcription_and_the_lab_says_so():
    changes = calls.sdk_changes([{"action": "record", "transcription": {"language": "en-US"}}])
    assert changes == ["action 0 (record): the SDK drops transcription"]


def test_bargein_true_versus_false(lab):
    prompt = {"action": "talk", "text": "For sales press one, for support press two"}
    collect = {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1, "timeOut": 5}}
    results, effects = {}, {}
    for barge in (False, True):
        ncco = [{"action": "record"}, {**prompt, "bargeIn": barge}, collect]
        _, _, tl = run(lab, ncco, to=EARLY)
        results[barge] = [e for e in tl.events if e["kind"] == "input"][0]["payload"]
        effects[barge] = [e["effect"] for e in tl.log if e["what"] == "press"][0]
    # the persona presses 1 one second after answering, while the prompt still plays
    assert results[False]["dtmf"] == {"digits": "", "timed_out": True}
    assert "not heard" in effects[False]
    assert results[True]["dtmf"] == {"digits": "1", "timed_out": False}
    assert "interrupted the bargeIn talk" in effects[True]


def test_conversation_record_true_records_until_the_call_ends(lab):
    ncco = [{"action": "conversation", "name": "support-room", "record": True}]
    _, (event,), tl = run(lab, ncco, to=TALKER)
    assert window(tl) == (0.0, pytest.approx(11.5))  # the talker hangs up at 11.5 s


def test_caller_hanging_up_during_connect_ends_the_call_once(lab):
    ncco = [{"action": "record"}, {"action": "connect", "from": "447700900000",
                                   "endpoint": [{"type": "phone", "number": AGENT}]}]
    call, (event,), tl = run(lab, ncco, to=TALKER)  # the talker hangs up at 11.5 s
    lab.simulator.wait_idle(30)
    statuses = [e["status"] for e in lab.events.for_call(uuid=call.uuid) if "status" in e]
    assert statuses == ["started", "ringing", "answered", "completed"]
    assert [e["what"] for e in tl.log].count("end") == 1
    leg = tl.legs[0]
    assert leg.ended == tl.ended
    assert window(tl) == (0.0, 11.5)


def test_transcript_holds_what_was_said_per_channel_and_the_event_is_a_record_event(
        lab, downloads):
    # Recording guide: the transcription event goes to transcription.eventUrl, else the
    # record's eventUrl; the language defaults to en-US. .NET SDK TranscriptionWebhook:
    # status "transcribed", type "record", transcription_url, recording_uuid,
    # conversation_uuid.
    number = "447700900074"
    calls.set_callee(lab, number, [{"say": "I would like a refund."}, {"silence": 0.5},
                                   {"say": "Thank you."}, {"hangup": True}], answer_after=1)
    ncco = [{"action": "record", "split": "conversation", "format": "wav",
             "eventUrl": [lab.event_url("/rec")], "transcription": {}},
            {"action": "talk", "text": "How can I help?"}, {"action": "wait", "timeout": 8}]
    call = calls.place_call(lab, ncco, to=number, quiet=True)
    calls.wait_for_recording(lab, call)
    tx = lab.events.wait_for(lambda r: "transcription_url" in r and
                             r.get("conversation_uuid") == call.conversation_uuid)
    assert tx["_received"]["path"] == "/rec"  # no transcription.eventUrl: the record's
    assert (tx["type"], tx["status"]) == ("record", "transcribed")
    assert set(tx) - {"_received", "timestamp"} == {
        "type", "status", "transcription_url", "recording_uuid", "conversation_uuid"}
    path = calls.download_recording(lab, {"recording_url": tx["transcription_url"],
                                          "recording_uuid": "t"}, downloads)
    body = json.loads(path.read_text())
    assert body["language"] == "en-US"
    said, heard = ([line["sentence"] for line in ch["transcript"]] for ch in body["channels"])
    assert said == ["I would like a refund.", "Thank you."]  # the caller: channel 0
    assert heard == ["How can I help?"]  # the talk: what the caller hears, channel 1
    refund = body["channels"][0]["transcript"][0]
    assert refund["start"] == 0.0
    assert refund["end"] == pytest.approx(
        tts.say_seconds("I would like a refund.", callees.voice_of(f"custom {number}")),
        abs=1e-3)
