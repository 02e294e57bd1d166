# Answer: those calls were never answered, and an NCCO only runs once a call is answered; the
# status events say what happened.
reply = """
Hello,

Those calls were never answered (unanswered, busy or timeout), and an NCCO only runs once the
call is answered, so there was nothing to record. Check the status events your event_url
received for the calls without a recording.
"""
check_reply(reply, must_state=find_case("unanswered-calls").reply_facts)
