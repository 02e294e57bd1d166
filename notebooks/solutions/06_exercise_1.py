# Answer: drop_channel writes a copy without channel 0 (the caller); plot what is left.
no_caller = drop_channel(path, "recordings/no_caller.wav", channel=0)
print(load(no_caller).channels, "channel left")
plot_waveform(no_caller)
