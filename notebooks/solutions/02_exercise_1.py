# Answer: record first (it starts at the answer) and without endOnSilence (nothing stops it
# before the call ends); it does not block, so the talk and the wait still run.
exercise_ncco = [
    {"action": "record"},
    {"action": "talk", "text": "Welcome"},
    {"action": "wait", "timeout": 5},
]
check_whole_call(lab, exercise_ncco, callee=TALKER)
