# Answer: one reply that states each fact the check looks for (yours may say it differently).
reply = """
Hello,

Thank you for the recordings. The recording is not broken: it holds the audio as it reached
Vonage. On the choppy calls the caller's audio arrived with high jitter and packet loss, so
some packets arrived too late or not at all and were patched or silenced; that is the
stutter and the cut-outs you hear. Downloading it again cannot repair packets that never
arrived in time.

This happens on the caller's network, before the audio reaches Vonage (often Wi-Fi, a busy
office connection or a weak mobile signal), so the fix is on that side: a wired connection,
enough upload bandwidth, and quality of service for voice traffic on the router.

You can see each call leg's jitter, packet loss and latency in Voice Inspector (search by the
call's uuid from your webhooks, for calls of the last 21 days).

Best regards
"""
check_reply(reply, must_state=REPLY_FACTS["14"])
