# Answer: any end condition (endOnSilence, timeOut or endOnKey) makes a record block.
exercise_ncco = [
    {"action": "record", "endOnSilence": 3},
    {"action": "talk", "text": "Goodbye"},
]
check_blocking(exercise_ncco, index=0, should_block=True)
