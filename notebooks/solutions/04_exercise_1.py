# Answer: the prompt first, then a record that ends on the key. A record placed before the
# prompt records the prompt; placed after it, the recording starts when the caller may speak.
exercise_ncco = [
    {"action": "talk", "text": "Please leave a message after the tone"},
    {"action": "record", "endOnKey": "#"},
]
check_message_after_prompt(lab, exercise_ncco, "#", callee=PRESSES_HASH)
