"""Recording Lab: what every lesson imports in its first cell, `from helpers import *`.

Listed explicitly, layer by layer from the bottom up (as ipywidgets' own `widgets/__init__.py`
does), so a reader sees where each name lives. The import order follows the layers on purpose,
which is why isort is told to leave this file alone (pyproject.toml).
"""

# The rules of an NCCO and who answers the simulator's calls
from .callees import NUMBERS
from .rules import (
    RECORD_PARAMS,
    SYNCHRONOUS,
    blocking_reason,
    explain,
    is_blocking,
    record_table,
    validate,
)

# Connecting: the SDK client, the simulator or live Vonage, the webhook receiver
from .client import Lab, connect
from .lab_socket import LabSocket

# Test calls, their timelines and their recordings
from .call_timeline import CallTimeline
from .calls import (
    RecordingDownloadError,
    advance_clock,
    download_recording,
    paced,
    place_call,
    run_call,
    sdk_changes,
    set_callee,
    timeline,
    wait_for_recording,
    wait_idle,
    wait_until_ended,
)
from .recordings import (
    drop_channel,
    ffmpeg_status,
    keep_channel,
    leading_silence,
    load,
    split_channels,
    to_mp3,
    to_wav,
    trim_leading_silence,
)

# What lessons show: summaries, tables, plots, widgets
from .plots import (
    compare_timelines,
    plot_before_after,
    plot_spectrogram,
    plot_timeline,
    plot_waveform,
)
from .views import describe, describe_setup, events_table, key_presses, personas, player
from .widgets import (
    CalleeEditor,
    CallRunner,
    DiagnoserWidget,
    NccoBuilder,
    RecordForm,
    playground,
)

# The support clinic: its pictures, the diagnoser, the case library, live mode, signed webhooks
from .cases import find_case, load_cases
from .check_live import check_live, check_public_url
from .clinic import (
    FetchReport,
    compare_calls,
    delivery_table,
    fetch_all_recordings,
    hang_up_when_ready,
    mp3_sizes,
    plot_fetch_runs,
    plot_hangup_attempts,
    plot_leading_silence,
    plot_sizes,
    plot_voices_in_mono,
    recorded_span,
    seconds_until_answered,
    size_table,
)
from .diagnoser import diagnose
from .network_report import excerpt, line_estimate, network_reports, packet_table
from .quality import estimate_mos
from .switches import assume, assumed
from .signed_webhooks import send_test_event
from .sources import docs_to_send

# Self-checks: every exercise answers with a Verdict
from .exercises import (
    REPLY_FACTS,
    check_agent_not_recorded,
    check_answers_at_once,
    check_blocking,
    check_buffer_choice,
    check_called_silent,
    check_case_fix,
    check_channels_kept,
    check_collects_key,
    check_fine_line,
    check_hangup_function,
    check_longer_greeting,
    check_mp3,
    check_message_after_prompt,
    check_records_until_key,
    check_reply,
    check_split_channels,
    check_starts_with_sound,
    check_tampered,
    check_whole_call,
    check_whole_message,
    ticket_text,
)
from .verdict import Verdict

# The built-in callees by persona: TALKER, PRESSES_HASH, SILENT, VOICEMAIL_CALLER, AGENT, ...
PERSONA_NUMBERS = {name.upper().replace("-", "_"): number for name, number in NUMBERS.items()}
globals().update(PERSONA_NUMBERS)

__all__ = [
    # rules
    "RECORD_PARAMS", "SYNCHRONOUS", "blocking_reason", "explain", "is_blocking", "record_table",
    "validate",
    # connecting
    "Lab", "LabSocket", "connect",
    # calls, timelines and recordings
    "CallTimeline", "RecordingDownloadError", "advance_clock", "assume", "assumed",
    "download_recording", "paced",
    "place_call", "run_call", "sdk_changes", "set_callee", "timeline", "wait_for_recording",
    "wait_idle", "wait_until_ended", "drop_channel", "ffmpeg_status", "keep_channel",
    "leading_silence", "load", "split_channels", "to_mp3", "to_wav", "trim_leading_silence",
    # views, plots, widgets
    "compare_timelines", "plot_before_after", "plot_spectrogram", "plot_timeline",
    "plot_waveform", "describe", "describe_setup", "events_table", "key_presses", "personas",
    "player", "CalleeEditor", "CallRunner", "DiagnoserWidget", "NccoBuilder", "RecordForm",
    "playground",
    # the clinic
    "find_case", "load_cases", "check_live", "check_public_url", "FetchReport", "compare_calls",
    "delivery_table", "fetch_all_recordings", "hang_up_when_ready", "mp3_sizes",
    "plot_fetch_runs", "plot_hangup_attempts", "plot_leading_silence", "plot_sizes",
    "plot_voices_in_mono", "recorded_span", "seconds_until_answered", "size_table", "diagnose",
    "send_test_event", "docs_to_send", "estimate_mos", "excerpt", "line_estimate",
    "network_reports", "packet_table",
    # self-checks
    "Verdict", "REPLY_FACTS", "check_agent_not_recorded", "check_answers_at_once",
    "check_blocking", "check_buffer_choice", "check_called_silent", "check_case_fix",
    "check_fine_line", "check_longer_greeting",
    "check_channels_kept", "check_collects_key", "check_hangup_function", "check_mp3",
    "check_message_after_prompt", "check_records_until_key", "check_reply",
    "check_split_channels", "check_starts_with_sound", "check_tampered", "check_whole_call",
    "check_whole_message", "ticket_text",
    # persona numbers
    *sorted(PERSONA_NUMBERS),
]
