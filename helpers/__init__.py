"""Recording Lab: the helpers every lesson imports in its first cell (`from helpers import *`).

Names are loaded on first use, so `import helpers` stays quick and a missing optional
dependency only matters to the lesson that needs it.
"""

from importlib import import_module

from .simulator.callees import NUMBERS

_EXPORTS = {
    "client": ["connect", "Lab"],
    "calls": ["place_call", "run_call", "wait_for_recording", "wait_until_ended",
              "download_recording", "timeline", "set_callee", "advance_clock", "sdk_changes",
              "RecordingDownloadError"],
    "rules": ["validate", "explain", "is_blocking", "blocking_reason", "record_table",
              "RECORD_PARAMS", "SYNCHRONOUS"],
    "views": ["describe_setup", "describe", "events_table", "key_presses", "player",
              "personas"],
    "plots": ["plot_timeline", "compare_timelines", "plot_waveform", "plot_spectrogram",
              "plot_before_after"],
    "recordings": ["load", "to_mp3", "to_wav", "leading_silence", "trim_leading_silence",
                   "split_channels", "keep_channel", "drop_channel", "ffmpeg_status"],
    "widgets": ["NccoBuilder", "RecordForm", "CalleeEditor", "CallRunner", "playground"],
    "check_live": ["check_live", "check_public_url"],
    "signed_webhooks": ["send_test_event", "check_tampered"],
    "diagnose": ["diagnose"],
    "diagnose_widget": ["DiagnoserWidget"],
    "cases": ["load_cases", "find_case"],
    "clinic": ["plot_leading_silence", "seconds_until_answered", "mp3_sizes", "size_table",
               "plot_sizes", "compare_calls", "plot_voices_in_mono", "plot_hangup_attempts",
               "hang_up_when_ready", "recorded_span", "delivery_table", "fetch_all_recordings",
               "plot_fetch_runs", "FetchReport"],
    "clinic_checks": ["check_starts_with_sound", "check_mp3", "check_collects_key",
                      "check_channels_kept", "check_whole_message", "check_hangup_function",
                      "check_case_fix", "ticket_text"],
    "exercises": ["check_records_until_key", "check_whole_call", "check_agent_not_recorded",
                  "check_blocking", "check_split_channels"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

# The built-in callees by persona: TALKER, PRESSES_HASH, SILENT, VOICEMAIL_CALLER, AGENT, ...
_PERSONA_NAMES = {name.upper().replace("-", "_"): number for name, number in NUMBERS.items()}
globals().update(_PERSONA_NAMES)

__all__ = sorted(_WHERE) + sorted(_PERSONA_NAMES)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
