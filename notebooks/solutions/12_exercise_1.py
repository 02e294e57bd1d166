# Answer: any change to the body changes its SHA-256, so the payload_hash no longer matches.
original = {"status": "completed", "uuid": "call-123", "duration": "17"}
changed = dict(original, duration="1700")
check_tampered(lab, original, changed)
