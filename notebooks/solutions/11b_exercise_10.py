# Answer: greet the caller and bound the recording, so the NCCO (not a hang-up a moment after
# create_call, which gets 400) ends the call.
fixed = """
[
  {"action": "talk", "text": "This call is recorded. Please speak after the beep."},
  {"action": "record", "beepStart": true, "endOnSilence": 3, "timeOut": 30,
   "eventUrl": ["https://api.acme.example/vonage/recordings"]}
]
"""
check_case_fix(lab, "hangup-bad-request", fixed)
