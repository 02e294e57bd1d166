# Answer: an inbound call runs the NCCO the answer URL returns; that NCCO needs the record,
# first and with no end condition, so the whole call is recorded.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "text": "Welcome to Acme Insurance. Connecting you to an agent."},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "inbound-not-recorded", fixed)
