# Answer: drop the customer's channel (0) and keep the other two.
exercise_file = drop_channel(three.files[0], "recordings/no_customer.wav", channel=0)
check_channels_kept(exercise_file, three.files[0], kept=[1, 2])
