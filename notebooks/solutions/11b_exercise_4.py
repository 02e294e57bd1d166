# Answer: bargeIn on the greeting: a key pressed while it plays stops it and reaches the input.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "bargeIn": true,
   "text": "Welcome to Acme Insurance. For claims press 1. For billing press 2."},
  {"action": "input", "type": ["dtmf"], "dtmf": {"maxDigits": 1, "timeOut": 5},
   "eventUrl": ["https://api.acme.example/vonage/events"]}
]
"""
check_case_fix(lab, "keys-lost-during-greeting", fixed)
