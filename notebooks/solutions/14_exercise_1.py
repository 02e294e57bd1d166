# Answer: a little loss and modest jitter. With 1 % lost and 20 ms of jitter the 100 ms
# jitter buffer drops almost no packet as late, so only a few packets go missing while the
# caller speaks; concealment covers them and the E-model still rates the line "high" (R about
# 85, MOS about 4.1). At 80 ms of jitter nearly a third of the packets arrive too late.
line = {"jitter_ms": 20, "loss": 0.01}
check_fine_line(lab, line)
