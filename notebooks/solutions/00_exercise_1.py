# Answer: yes. The call ends when the NCCO runs out (after the talk), not when TALKER hangs up,
# so a longer greeting keeps the call, and the recording, going for longer.
longer_ncco = [
    {"action": "record"},
    {"action": "talk", "text": "Thanks for calling. This call is recorded for training. "
                               "Please tell us, in a few words, why you are calling today."},
]
longer_call = run_call(lab, longer_ncco, to=TALKER)
print(describe(longer_call))
check_longer_greeting(longer_call, first_call)
