# Answer: the diagnoser names these mistakes; read each finding's words in
# find_case("silence-at-start").diagnose(lab).
find_case("silence-at-start").check_answer(['leading-silence', 'connect-recorded-mono'])
