# Answer: start the record after the pause, as the greeting starts: the file opens with the
# greeting, and the record (not blocking) keeps running through the connect.
exercise_ncco = [
    {"action": "wait", "timeout": 4},
    {"action": "record"},
    {"action": "talk", "text": "Connecting you to an agent"},
    {"action": "connect", "from": "447700900000", "endpoint": [{"type": "phone", "number": AGENT}]},
]
check_starts_with_sound(lab, exercise_ncco, callee=CUSTOMER)
