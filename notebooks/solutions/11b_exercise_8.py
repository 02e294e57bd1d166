# Answer: a caller who never hangs up is recorded until something ends it: add endOnSilence and a
# timeOut so a silent line gives a short file.
fixed = """
[
  {"action": "talk", "text": "Please leave a message after the tone."},
  {"action": "record", "beepStart": true, "endOnSilence": 5, "timeOut": 120,
   "eventUrl": ["https://api.acme.example/vonage/recordings"]}
]
"""
check_case_fix(lab, "two-hours-of-silence", fixed)
