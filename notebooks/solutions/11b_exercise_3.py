# Answer: "endonkey" is not a parameter; "endOnKey" is, and then the goodbye plays.
fixed = """
[
  {"action": "talk", "text": "Record your message and press hash when you are done."},
  {"action": "record", "endOnKey": "#", "beepStart": true, "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "text": "Thank you, goodbye."}
]
"""
check_case_fix(lab, "hash-does-nothing", fixed)
