# Answer: a record after a connect starts only when the conversation is over: record first.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "record-after-agent", fixed)
