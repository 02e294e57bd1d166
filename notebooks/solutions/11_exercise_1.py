# Answer: a 401 is the JWT (missing, expired, or signed with another application's key); a 404
# is a file this JWT may not fetch (a changed URL, another application's recording) or one
# older than the 30 days Vonage keeps it.
reply = """
Hello,

Each recording can only be downloaded with a JWT signed with the private key of the same
application that made the call, so the downloads for your second application need a JWT made
with that application's key. A JWT also expires (15 minutes after it is made unless you set
exp), so make a fresh JWT for each download instead of reusing this morning's one: that is
your 401. A 404 means the file does not exist, or you do not have access to it: use the
recording_url exactly as the record event sent it, and fetch within 30 days, because Vonage
deletes recordings after 30 days.
"""
check_reply(reply, must_state=find_case("download-401-404").reply_facts)
