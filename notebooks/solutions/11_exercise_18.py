# Answer: the diagnoser names these mistakes; read each finding's words in
# find_case("no-transcript").diagnose(lab).
find_case("no-transcript").check_answer(['sdk-drops-transcription', 'connect-recorded-mono'])
