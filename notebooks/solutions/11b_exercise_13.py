# Answer: a conversation lasts until the call ends, so a record after it never starts: record
# first.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "conversation", "name": "team-standup"}
]
"""
check_case_fix(lab, "conference-not-recorded", fixed)
