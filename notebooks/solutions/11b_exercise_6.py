# Answer: split "conversation" puts the caller and the agent on separate channels, so the
# agent's channel can be dropped afterwards.
fixed = """
[
  {"action": "record", "split": "conversation", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "agent-in-my-recording", fixed)
