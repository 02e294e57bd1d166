"""Every self-check a trainee runs, each returning a `Verdict` (right or not yet, and why).

- `lessons`: the exercises of lessons 00-07 (record until a key, the whole call, ...);
- `clinic`: the clinic's exercises (lessons 08-11), including fixing a ticket's NCCO;
- `webhooks`: lesson 12's signed-webhook exercise;
- `network`: lesson 14's line checks (jitter, packet loss and the estimated MOS);
- `replies`: the "write the reply" exercises (does the reply state the facts it must?).

No answer is hidden in a string: each check runs the trainee's NCCO on the simulator (or reads
their file) and judges the same evidence a trainee can plot.
"""

from .clinic import (
    check_answers_at_once,
    check_case_fix,
    check_channels_kept,
    check_collects_key,
    check_hangup_function,
    check_mp3,
    check_starts_with_sound,
    check_whole_message,
    ticket_text,
)
from .lessons import (
    check_agent_not_recorded,
    check_blocking,
    check_called_silent,
    check_longer_greeting,
    check_message_after_prompt,
    check_records_until_key,
    check_split_channels,
    check_whole_call,
)
from .network import check_buffer_choice, check_fine_line
from .replies import REPLY_FACTS, check_reply
from .webhooks import check_tampered

__all__ = ["REPLY_FACTS", "check_agent_not_recorded", "check_answers_at_once",
           "check_blocking", "check_buffer_choice", "check_called_silent", "check_case_fix",
           "check_fine_line", "check_longer_greeting",
           "check_channels_kept", "check_collects_key", "check_hangup_function", "check_mp3",
           "check_message_after_prompt", "check_records_until_key", "check_reply",
           "check_split_channels", "check_starts_with_sound", "check_tampered", "check_whole_call",
           "check_whole_message", "ticket_text"]
