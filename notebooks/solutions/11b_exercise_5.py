# Answer: a stream with loop 0 never finishes, so a record after it never starts: record first
# (it does not block), then play the music.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "stream", "streamUrl": ["https://cdn.acme.example/hold.mp3"], "loop": 0}
]
"""
check_case_fix(lab, "hold-music-then-record", fixed)
