"""The clinic's helpers: the resumable download loop, the pictures, and the exercise checks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import assumptions, calls, clinic, exercises, recordings
from helpers.cases import find_case, load_cases
from helpers.client import Lab, lab_for
from helpers.simulator.server import Simulator

AGENT, SILENT, EARLY_PRESSER, TALKER = "447700900007", "447700900005", "447700900009", \
    "447700900001"
CONNECT_AGENT = {"action": "connect", "from": "447700900000",
                 "endpoint": [{"type": "phone", "number": AGENT}]}
RECORDINGS = "https://api.acme.example/vonage/recordings"


def _day_of_calls(lab: Lab, count: int) -> list[dict]:
    placed = [calls.place_call(lab, [{"action": "record", "timeOut": 3 + n}], quiet=True)
              for n in range(count)]
    return [calls.wait_for_recording(lab, call) for call in placed]


# --- fetch_all_recordings ------------------------------------------------------------------------
def test_fetch_downloads_everything_then_skips_it(lab, downloads):
    events = _day_of_calls(lab, 3)
    first = clinic.fetch_all_recordings(lab, events, downloads, progress=False)
    assert [o[0] for o in first.outcomes] == ["downloaded"] * 3 and first.complete
    for event, path in zip(events, first.paths, strict=True):
        assert path.stat().st_size == event["size"] and path.stem == event["recording_uuid"]
    again = clinic.fetch_all_recordings(lab, events, downloads, progress=False)
    assert [o[0] for o in again.outcomes] == ["skipped"] * 3
    assert again.paths == first.paths


def test_fetch_resumes_after_an_interrupted_run(lab, downloads):
    events = _day_of_calls(lab, 4)
    first = clinic.fetch_all_recordings(lab, events, downloads, progress=False)
    short = first.paths[1]
    short.write_bytes(short.read_bytes()[:1000])  # a copy cut short
    first.paths[2].unlink()  # a lost file
    killed = downloads / f".{first.paths[3].name}.k1ll3d.part"  # a run killed mid-download
    killed.write_bytes(b"half a download")
    second = clinic.fetch_all_recordings(lab, events, downloads, progress=False)
    assert [o[:2] for o in second.outcomes] == [
        ("skipped", "already complete"),
        ("downloaded", f"replaced a damaged copy: 1,000 of {events[1]['size']:,} bytes"),
        ("downloaded", "new"), ("skipped", "already complete")]
    assert second.removed_parts == 1 and not killed.exists()
    assert sorted(downloads.iterdir()) == sorted(second.paths)
    assert all(p.stat().st_size == e["size"] for p, e in zip(second.paths, events, strict=True))
    assert "2 downloaded, 2 already complete (skipped), 0 failed" in repr(second)
    assert "half-written" in repr(second)


def test_fetch_reports_expired_recordings_and_leaves_nothing_behind(tmp_path):
    home = Path(os.environ["RECORDING_LAB_HOME"]) / "clinic-retention"
    own = Simulator(state_dir=home)
    with own, lab_for(own, home / "events.jsonl") as other:
        old = _day_of_calls(other, 2)
        calls.advance_clock(other, days=assumptions.RETENTION_DAYS + 1)
        new = _day_of_calls(other, 1)
        report = clinic.fetch_all_recordings(other, old + new, tmp_path, progress=False)
    assert [o[0] for o in report.outcomes] == ["failed", "failed", "downloaded"]
    assert report.outcomes[0][1] == calls.NOT_FOUND_MEANING and not report.complete
    assert sorted(p.name for p in tmp_path.iterdir()) == [report.paths[2].name]
    assert "#1: failed: 404: expired (older than 30 days?) or a wrong URL" in repr(report)


def test_fetch_progress_is_a_text_line_outside_notebooks(lab, downloads, capsys):
    events = _day_of_calls(lab, 2)
    clinic.fetch_all_recordings(lab, events, downloads)
    assert capsys.readouterr().out.endswith("fetched 2/2\n")


def test_plot_fetch_runs_has_a_column_per_run(lab, downloads):
    events = _day_of_calls(lab, 2)
    runs = {"run 1": clinic.fetch_all_recordings(lab, events, downloads, progress=False),
            "run 2": clinic.fetch_all_recordings(lab, events, downloads, progress=False)}
    fig = clinic.plot_fetch_runs(runs)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["downloaded: new", "downloaded: new", "skipped", "skipped"]


# --- section helpers ----------------------------------------------------------------------------
def test_leading_silence_comes_from_the_agent_ringing(lab, downloads):
    result = calls.run_call(lab, [{"action": "record"}, CONNECT_AGENT], SILENT, folder=downloads)
    assert clinic.seconds_until_answered(lab, result) == pytest.approx(6.0, abs=0.01)
    fig = clinic.plot_leading_silence(result.files[0], cause="ringing")
    assert "6.0 s of silence: ringing" in [t.get_text() for t in fig.axes[0].texts]


def test_mp3_sizes_follow_the_bitrate_not_the_channels(lab, downloads):
    result = calls.run_call(lab, [{"action": "record", "split": "conversation", "format": "wav",
                                   "timeOut": 6}], TALKER, folder=downloads)
    rows = clinic.mp3_sizes(result.files[0], downloads / "mp3", bitrates=("16k", "32k"))
    assert [(r["file"], r["channels"], r["bitrate"]) for r in rows] == [
        ("original wav", 2, "-"), ("mp3 stereo", 2, "16k"), ("mp3 stereo", 2, "32k"),
        ("mp3 mono", 1, "16k"), ("mp3 mono", 1, "32k")]
    assert rows[2]["bytes"] > 1.8 * rows[1]["bytes"]
    assert all(abs(r["seconds"] - 6.0) < 0.1 for r in rows)
    assert "kB per minute" in clinic.size_table(rows).splitlines()[0]


def test_recorded_span_and_delivery_table(lab, downloads):
    result = calls.run_call(lab, [{"action": "record", "timeOut": 4}], TALKER, folder=downloads)
    assert clinic.recorded_span(result).startswith("recorded 0.0-4.0 s (4.0 s, ended by timeOut)")
    table = clinic.delivery_table(lab, result.call)
    assert "record     POST /events -> 200" in table and "NOWHERE" not in table


def test_hang_up_when_ready_retries_a_paced_call(lab, sim):
    with sim.paced(1.0):
        call = calls.place_call(lab, [{"action": "talk", "text": "hello " * 30}],
                                "447700900002", quiet=True)
    happened = clinic.hang_up_when_ready(lab, call, pause=0.6)
    assert happened[0].startswith("attempt 1: 400") and "accepted" in happened[-1]
    assert calls.wait_until_ended(lab, call)["status"] == "completed"
    fig = clinic.plot_hangup_attempts(calls.timeline(lab, call))
    marks = [t.get_text() for t in fig.axes[0].texts if t.get_text().startswith("hangup")]
    assert marks[0] == "hangup: 400 Bad Request" and marks[-1] == "hangup: 204, call ended"


# --- exercise checks ----------------------------------------------------------------------------
def test_check_starts_with_sound(lab, downloads):
    broken = [{"action": "record"}, {"action": "wait", "timeout": 4},
              {"action": "talk", "text": "Connecting you"}, CONNECT_AGENT]
    fixed = [broken[1], broken[0], broken[2], broken[3]]
    assert not exercises.check_starts_with_sound(lab, broken, callee=SILENT,
                                                 folder=downloads).passed
    assert exercises.check_starts_with_sound(lab, fixed, callee=SILENT, folder=downloads).passed
    only_talk = [{"action": "record", "timeOut": 3}, {"action": "talk", "text": "Hi there"}]
    verdict = exercises.check_starts_with_sound(lab, only_talk, callee=SILENT, folder=downloads)
    assert not verdict.passed and "no one speaking" in verdict.why


def test_check_mp3(lab, downloads):
    result = calls.run_call(lab, [{"action": "record", "split": "conversation", "format": "wav",
                                   "timeOut": 6}], TALKER, folder=downloads)
    wav = result.files[0]
    stereo = recordings.to_mp3(wav, downloads / "stereo.mp3", bitrate="16k")
    mono_big = recordings.to_mp3(wav, downloads / "big.mp3", bitrate="64k", mono=True)
    mono = recordings.to_mp3(wav, downloads / "mono.mp3", bitrate="16k", mono=True)
    assert "2 channel(s)" in exercises.check_mp3(stereo, wav, channels=1, max_kb_per_minute=150).why
    assert "lower the bitrate" in exercises.check_mp3(mono_big, wav, channels=1,
                                                   max_kb_per_minute=150).why
    assert "not an MP3" in exercises.check_mp3(wav, wav, channels=1, max_kb_per_minute=150).why
    assert exercises.check_mp3(mono, wav, channels=1, max_kb_per_minute=150).passed


def test_check_collects_key(lab, downloads):
    prompt = {"action": "talk", "text": "Press 1 for sales or 2 for support please"}
    listen = {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1}}
    assert not exercises.check_collects_key(lab, [prompt, listen], "1", callee=EARLY_PRESSER,
                                         folder=downloads).passed
    assert exercises.check_collects_key(lab, [{**prompt, "bargeIn": True}, listen], "1",
                                     callee=EARLY_PRESSER, folder=downloads).passed


def test_check_channels_kept(lab, downloads):
    result = calls.run_call(lab, [{"action": "record", "split": "conversation", "channels": 3},
                                  {"action": "talk", "text": "Connecting you"}, CONNECT_AGENT],
                            TALKER, folder=downloads)
    three = result.files[0]
    one = recordings.keep_channel(three, downloads / "one.wav", 1)
    two = recordings.drop_channel(three, downloads / "two.wav", 0)
    wrong = recordings.drop_channel(three, downloads / "wrong.wav", 2)
    assert not exercises.check_channels_kept(one, three, kept=[1, 2]).passed
    assert exercises.check_channels_kept(two, three, kept=[1, 2]).passed
    assert "is not channel" in exercises.check_channels_kept(wrong, three, kept=[1, 2]).why


def test_check_whole_message(lab, downloads):
    calls.set_callee(lab, "447700900192", [{"silence": 2.5}, {"speak": 3}, {"silence": 4},
                                           {"speak": 5}, {"silence": 2}, {"hangup": True}])
    voicemail = [{"action": "talk", "text": "Please leave a message"},
                 {"action": "record", "endOnSilence": 3},
                 {"action": "talk", "text": "Thank you, goodbye"}]
    assert not exercises.check_whole_message(lab, voicemail, callee="447700900192",
                                          folder=downloads).passed
    voicemail[1]["endOnSilence"] = 6
    assert exercises.check_whole_message(lab, voicemail, callee="447700900192",
                                      folder=downloads).passed


def test_check_hangup_function(lab):
    def too_soon(lab, call):
        lab.voice.hangup(call.uuid)

    def after_answer(lab, call):
        lab.events.wait_for_status(call.uuid, "answered", timeout=10)
        lab.voice.hangup(call.uuid)

    verdict = exercises.check_hangup_function(lab, too_soon)
    assert not verdict.passed and "400 Bad Request" in verdict.why
    assert exercises.check_hangup_function(lab, after_answer).passed


# --- the case-library exercises: each has a fix that passes ----------------------------------
FIXABLE = sorted(case.id for case in load_cases() if case.fix is not None)
#: A reference fix per ticket, as a support engineer would write it (tests only: the notebook
#: never shows these; the trainee writes their own).
def _rec(**params) -> dict:
    return {"action": "record", **params, "eventUrl": [RECORDINGS]}


def _talk(text: str, **params) -> dict:
    return {"action": "talk", "text": text, **params}


MENU = ("Welcome to Acme Insurance. For claims press 1. For billing press 2. For anything "
        "else, stay on the line.")
REFERENCE_FIXES = {
    "only-3-seconds": [_rec(), CONNECT_AGENT],
    "never-arrives-no-event-url": [_talk("This call is recorded for quality and training."),
                                   _rec(beepStart=True), CONNECT_AGENT],
    "wrong-case-timeout": [_talk("Please leave your message after the tone."),
                           _rec(timeOut=60, beepStart=True)],
    "hash-does-nothing": [_talk("Record your message and press hash when you are done."),
                          _rec(endOnKey="#", beepStart=True), _talk("Thank you, goodbye.")],
    "keys-lost-during-greeting": [
        _rec(), _talk(MENU, bargeIn=True),
        {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1, "timeOut": 5},
         "eventUrl": ["https://api.acme.example/vonage/events"]}],
    "hold-music-then-record": [_rec(), {"action": "stream", "loop": 0,
                                        "streamUrl": ["https://cdn.acme.example/hold.mp3"]}],
    "agent-in-my-recording": [_rec(split="conversation"), CONNECT_AGENT],
    "channels-but-mono": [_rec(split="conversation", channels=2), CONNECT_AGENT],
    "mp3-four-channels": [_rec(format="wav", split="conversation", channels=4), CONNECT_AGENT],
    "two-hours-of-silence": [_talk("Please leave a message after the tone."),
                             _rec(beepStart=True, endOnSilence=5, timeOut=300)],
    "voicemail-cut-off": [_talk("Please leave a message after the beep."),
                          _rec(beepStart=True, timeOut=120, endOnSilence=3),
                          _talk("Thank you. Goodbye.")],
    "hangup-bad-request": [_talk("Hello, this call is recorded."),
                           _rec(timeOut=60, endOnSilence=5)],
    "record-after-agent": [_rec(), CONNECT_AGENT],
    "first-words-missing": [_rec(), _talk("Thank you for calling Acme Insurance. This call may "
                                          "be recorded for training purposes."), CONNECT_AGENT],
    "hash-never-pressed": [_talk("Leave your message and press hash when you are finished."),
                           _rec(endOnKey="#", endOnSilence=5, beepStart=True),
                           _talk("Thanks, we will call you back.")],
    "conference-not-recorded": [{"action": "conversation", "name": "team-standup",
                                 "record": True, "eventUrl": [RECORDINGS]}],
    "record-true-on-connect": [_rec(split="conversation"), CONNECT_AGENT],
    "two-files": [_rec(split="conversation"), _talk("Welcome back. Connecting you now."),
                  CONNECT_AGENT],
    "broken-json": [_talk("Please hold while we connect you."), _rec()],
    "php-sdk-timeout-7200": [_rec(), CONNECT_AGENT],
    "inbound-not-recorded": [_rec(), _talk("Welcome to Acme Insurance. Connecting you to an "
                                           "agent."), CONNECT_AGENT],
}

def test_every_fixable_ticket_has_a_reference_fix():
    assert set(REFERENCE_FIXES) == set(FIXABLE)


@pytest.mark.parametrize("case_id", FIXABLE)
def test_check_case_fix_passes_a_real_fix_and_refuses_the_original(lab, case_id):
    original = find_case(case_id).ncco
    assert not exercises.check_case_fix(lab, case_id, original).passed
    verdict = exercises.check_case_fix(lab, case_id, REFERENCE_FIXES[case_id])
    assert verdict.passed, verdict.why


def test_check_case_fix_names_what_is_still_wrong(lab):
    half_fixed = [{"action": "record", "timeOut": 10, "eventUrl": [RECORDINGS]}, CONNECT_AGENT]
    verdict = exercises.check_case_fix(lab, "only-3-seconds", half_fixed)
    assert not verdict.passed and "no recording covers the whole call" in verdict.why
    assert "not fixed in the NCCO alone" in exercises.check_case_fix(lab, "no-transcript", []).why


def test_php_ticket_half_fixed_still_blocks_the_connect(lab):
    """A shorter timeOut still blocks: the connect waits for it, the customer hangs up first."""
    half_fixed = [_rec(timeOut=60), CONNECT_AGENT]
    verdict = exercises.check_case_fix(lab, "php-sdk-timeout-7200", half_fixed)
    assert not verdict.passed and "never runs" in verdict.why


@pytest.mark.parametrize("case", [c for c in load_cases() if c.fix is None],
                         ids=lambda c: c.id)
def test_every_ticket_answered_by_a_reply_names_the_facts_it_must_state(case):
    """The reply drills check these facts; the ticket's own answer states them all, and the
    customer's words alone state none of the first."""
    assert case.reply_facts, "a ticket without a fix needs reply_facts for its drill"
    assert exercises.check_reply(case.answer, must_state=case.reply_facts).passed, case.id
    verdict = exercises.check_reply(case.customer_words, must_state=case.reply_facts)
    assert not verdict.passed


def test_every_ticket_source_is_a_known_link():
    from helpers.sources import LESSON_SOURCES, SOURCES

    for case in load_cases():
        assert set(case.sources) <= set(SOURCES), case.id
    for keys in LESSON_SOURCES.values():
        assert keys and set(keys) <= set(SOURCES)
    assert all(s.url.startswith("https://") for s in SOURCES.values())


def test_ticket_text_quotes_the_customer():
    text = exercises.ticket_text(find_case("keys-lost-during-greeting"))
    assert text.startswith("Ticket keys-lost-during-greeting: ")
    assert "\u201cOur regular callers" in text and text.endswith("hangs up at 20 s.")
