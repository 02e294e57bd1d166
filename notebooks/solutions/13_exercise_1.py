# Answer: record first (nothing before it holds the NCCO), then the announcement, then the
# agent. A record with no endOnSilence, timeOut or endOnKey does not block, so the talk
# still plays at once and the file spans the whole call.
def contact_centre(request):
    return [
        {"action": "record", "split": "conversation", "eventUrl": [lab.event_url("/recordings")]},
        {"action": "talk", "text": "Thank you for calling Acme. This call is recorded."},
        {"action": "connect", "from": request["to"],
         "endpoint": [{"type": "phone", "number": AGENT}]},
    ]


exercise_ncco = contact_centre({"to": "447700900000", "from": CUSTOMER})
check_whole_call(lab, exercise_ncco, callee=TALKER)
