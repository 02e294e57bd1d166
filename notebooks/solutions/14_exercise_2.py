# Answer: about 220 ms. Below that, more packets arrive after their moment and are dropped
# (with 80 ms of jitter, exp(-depth / 80) of them); above it, the extra delay costs more than
# the few late packets it saves. Compare:
# for depth in range(20, 401, 20): print(depth, estimate_mos(0.05, 80, 40, jitter_buffer_ms=depth))
buffer_ms = 220
check_buffer_choice(buffer_ms, loss=0.05, jitter_ms=80, delay_ms=40)
