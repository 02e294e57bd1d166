# Answer: greet at once, then hold music that loops until the server's update replaces it
# (a talk alone ends the NCCO, and so the call, before the agent is found).
def quick_answer(request):
    return [
        {"action": "talk", "text": "Thank you for calling Acme. Please hold."},
        {"action": "stream", "streamUrl": ["https://example.com/acme-hold-music.mp3"],
         "loop": 0},
    ]


check_answers_at_once(lab, quick_answer, caller=SILENT)
