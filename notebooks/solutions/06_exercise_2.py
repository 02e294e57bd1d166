# Answer: at the same bitrate a mono MP3 is about as big as a stereo one: size is bitrate x time.
import os

stereo_mp3 = to_mp3(path, "recordings/stereo.mp3")
mono_mp3 = to_mp3(path, "recordings/mono.mp3", mono=True)
print(f"stereo {os.path.getsize(stereo_mp3):,} bytes, mono {os.path.getsize(mono_mp3):,} bytes")
check_mp3(mono_mp3, path, channels=1, max_kb_per_minute=600)
