# Answer: the same thing ends it as with TALKER: the NCCO runs out after the talk and Vonage
# ends the call. SILENT never hangs up, yet the recording is as long as the greeting.
second_call = run_call(lab, ncco, to=SILENT)
print(describe(second_call))
plot_timeline(second_call.timeline, title="Calling SILENT: the NCCO still ends the call")
check_called_silent(second_call)
