# Answer: JSON allows no comma after the last field of an object.
fixed = """
[
  {
    "action": "talk",
    "text": "Please hold while we connect you."
  },
  {
    "action": "record",
    "eventUrl": ["https://api.acme.example/vonage/recordings"]
  }
]
"""
check_case_fix(lab, "broken-json", fixed)
