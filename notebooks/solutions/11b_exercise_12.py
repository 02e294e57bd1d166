# Answer: callers rarely press the key: end on silence (with a timeOut as a limit) so the
# closing talk plays.
fixed = """
[
  {"action": "talk", "text": "Leave your message after the tone."},
  {"action": "record", "endOnSilence": 3, "timeOut": 120, "beepStart": true,
   "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "talk", "text": "Thanks, we will call you back."}
]
"""
check_case_fix(lab, "hash-never-pressed", fixed)
