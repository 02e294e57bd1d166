# Answer: endOnKey names the key that ends the recording; then the NCCO goes on to the talk.
set_callee(lab, "447700900099", [{"speak": 3}, {"silence": 1}, {"press": "*"},
                                 {"speak": 2}, {"hangup": True}], answer_after=1)
exercise_ncco = [
    {"action": "record", "endOnKey": "*"},
    {"action": "talk", "text": "Got it"},
]
check_records_until_key(lab, exercise_ncco, "*", callee="447700900099")
