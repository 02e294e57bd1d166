# Answer: the Python SDK's Record model has no transcription field and drops it; send the NCCO
# as plain JSON instead.
reply = """
Hello,

The Python SDK's Record model has no transcription field and silently drops it, so the NCCO
that reaches Vonage asks for no transcription. Send the NCCO as plain JSON (for example from
your answer_url) and the transcription event will come.
"""
check_reply(reply, must_state=find_case("no-transcript").reply_facts)
