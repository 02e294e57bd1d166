# Answer: without "eventType": "synchronous" on the connect, a closed socket sends no event and
# the NCCO moves on (here it has nothing left, so the call ends); with it, Vonage sends a
# disconnected event and runs the NCCO returned to it (WebSockets guide).
reply = """
Hello,

When your bot's socket closes, no event is sent because your connect does not set
"eventType": "synchronous": the NCCO simply moves on and, with nothing left, the call ends.
Add "eventType": "synchronous" and an eventUrl to the connect. Vonage then sends a
disconnected event to that URL, and you can return an NCCO (a short talk, then a new connect
to your socket) to reconnect the caller.
"""
check_reply(reply, must_state=find_case("websocket-drops").reply_facts)
