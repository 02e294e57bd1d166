# Answer: connect has no "record" parameter: a record action before the connect records the call.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}],
   "eventUrl": ["https://api.acme.example/vonage/events"]}
]
"""
check_case_fix(lab, "record-true-on-connect", fixed)
