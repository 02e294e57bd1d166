# Answer: the silence is the agent's phone ringing after the call was answered; no record
# setting skips it, so trim it after download.
reply = """
Hello,

The record action starts the moment the call is answered, while your agent's phone is still
ringing: nobody speaks until the agent picks up, so the file opens with that silence. No record
setting skips it, but you can trim it after download, for example with pydub's
detect_leading_silence.
"""
check_reply(reply, must_state=find_case("silence-at-start").reply_facts)
