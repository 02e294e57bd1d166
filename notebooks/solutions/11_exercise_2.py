# Answer: only the record event carries recording_url; the status events reach the same
# event_url without one. Give the record its own eventUrl, or skip events without the field.
reply = """
Hello,

recording_url is only in the record event, which Vonage sends when the recording has ended.
Your handler also receives the call's status events (started, ringing, answered, completed),
because your record action has no eventUrl of its own: those events carry no recording_url.
Give the record action its own eventUrl, an array with one URL, and read recording_url there,
or skip the events that do not carry it.
"""
check_reply(reply, must_state=find_case("empty-recording-url").reply_facts)
