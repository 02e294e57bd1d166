# Answer: the record has no end condition, so it does not block and the talk starts at once;
# an end condition (endOnSilence, endOnKey or timeOut) makes the NCCO wait for the recording.
reply = """
Hello,

Your record action sets none of endOnSilence, endOnKey or timeOut, so it does not block: the
NCCO moves straight on to the talk, and the recording runs until the call ends.

Add "endOnSilence": 3 (any of 3 to 10 seconds) or "endOnKey": "#" to the record action. The
record then blocks, and the thank-you plays after the recording ends.
"""
check_reply(reply, must_state=REPLY_FACTS["03"])
