# Answer: mono, and a bitrate of at most 20 kbit/s (150 kB a minute = 20 kbit/s).
exercise_mp3 = to_mp3(split_wav, "recordings/exercise.mp3", bitrate="16k", mono=True)
check_mp3(exercise_mp3, split_wav, channels=1, max_kb_per_minute=150)
