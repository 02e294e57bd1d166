# Answer: the diagnoser names these mistakes; read each finding's words in
# find_case("unanswered-calls").diagnose(lab).
find_case("unanswered-calls").check_answer(['call-not-answered', 'connect-recorded-mono'])
