# Answer: names are case-sensitive: "timeout" is unknown to record, "timeOut" is the limit.
fixed = """
[
  {"action": "talk", "text": "Please leave your message after the tone."},
  {"action": "record", "timeOut": 60, "beepStart": true, "eventUrl": ["https://api.acme.example/vonage/recordings"]}
]
"""
check_case_fix(lab, "wrong-case-timeout", fixed)
