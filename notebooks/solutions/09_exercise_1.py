# Answer: bargeIn on the talk: the first key stops the greeting and reaches the input.
exercise_ncco = [
    {"action": "talk", "bargeIn": True,
     "text": "Welcome to Acme. Press 1 to hear your balance, or 2 to speak to us"},
    {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1}},
]
check_collects_key(lab, exercise_ncco, "1", callee=EARLY_PRESSER)
