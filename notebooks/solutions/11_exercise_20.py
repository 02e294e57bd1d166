# Answer: the diagnoser names these mistakes; read each finding's words in
# find_case("websocket-drops").diagnose(lab).
find_case("websocket-drops").check_answer(['socket-drop-without-fallback'])
