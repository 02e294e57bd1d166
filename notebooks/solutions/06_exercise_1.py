# Answer: drop_channel writes a copy without channel 0 (the caller); plot what is left.
no_caller = drop_channel(path, "recordings/no_caller.wav", channel=0)
plot_waveform(no_caller)
check_channels_kept(no_caller, path, kept=[1])
