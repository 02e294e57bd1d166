# Answer: each record action makes its own file: one record, first, split by party, gives one file
# of the whole call.
fixed = """
[
  {"action": "record", "split": "conversation", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "text": "Welcome back. Connecting you now."},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "two-files", fixed)
