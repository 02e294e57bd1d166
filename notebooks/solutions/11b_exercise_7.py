# Answer: an mp3 holds at most two channels; wav (or ogg) keeps all four.
fixed = """
[
  {"action": "record", "format": "wav", "split": "conversation", "channels": 4,
   "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "mp3-four-channels", fixed)
