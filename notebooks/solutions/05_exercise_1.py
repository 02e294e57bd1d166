# Answer: split "conversation" gives 2 channels (channel 0: the caller, 1: what they hear).
exercise_ncco = [{"action": "record", "timeOut": 5, "split": "conversation"}]
check_split_channels(lab, exercise_ncco, channels=2, callee=TALKER)
