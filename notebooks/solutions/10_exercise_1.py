# Answer: endOnSilence longer than the caller's longest pause (4 s). With 6 the recording waits
# the pause out and ends when PAUSER hangs up, so "Thank you, goodbye" does not play to them.
exercise_ncco = [
    {"action": "talk", "text": "Please leave a message"},
    {"action": "record", "beepStart": True, "endOnSilence": 6},
    {"action": "talk", "text": "Thank you, goodbye"},
]
check_whole_message(lab, exercise_ncco, callee=PAUSER)
