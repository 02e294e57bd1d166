# Answer: timeOut is the longest a recording may last, not a silence timer: 5 s cut the caller
# off; give them a minute.
fixed = """
[
  {"action": "talk", "text": "Please leave a message after the beep."},
  {"action": "record", "beepStart": true, "timeOut": 60, "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "text": "Thank you. Goodbye."}
]
"""
check_case_fix(lab, "voicemail-cut-off", fixed)
