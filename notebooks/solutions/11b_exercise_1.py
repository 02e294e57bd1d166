# Answer: The record event goes to the record's own eventUrl: without one it went to the call's
# event_url, which the customer's server never handled.
fixed = """
[
  {"action": "talk", "text": "This call is recorded for quality and training."},
  {"action": "record", "beepStart": true, "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "never-arrives-no-event-url", fixed)
