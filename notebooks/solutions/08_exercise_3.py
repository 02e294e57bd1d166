# Answer: the silence is what the line carried before anyone spoke (most often the agent's phone
# ringing); trim it from the file, or start the record after a pause that is in the NCCO.
reply = """
Hello,

The recording starts when the record action starts, and keeps whatever the line carries from
then on. Here the agent's phone was still ringing: nobody spoke until the agent picked up, so
the file opens with that silence. Vonage adds nothing.

To remove it, trim the file afterwards with pydub's detect_leading_silence (or cut it at the
time the agent's leg was answered). Where the pause comes from the NCCO itself, such as a wait
before the greeting, move the record after the wait.
"""
check_reply(reply, must_state=REPLY_FACTS["08"])
