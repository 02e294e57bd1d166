# Answer: with none of endOnSilence, timeOut, endOnKey the record does not block.
exercise_ncco = [
    {"action": "record"},
    {"action": "talk", "text": "Goodbye"},
]
check_blocking(exercise_ncco, index=0, should_block=False)
