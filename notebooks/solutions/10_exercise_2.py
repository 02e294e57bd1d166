# Answer: a call cannot be ended while it is still being set up (400 Bad Request). Wait for
# it to be answered (here: retry after a pause, as hang_up_when_ready does), then hang up.
import time

from vonage_http_client.errors import HttpRequestError


def end_call(lab, call):
    for _attempt in range(5):
        try:
            lab.voice.hangup(call.uuid)
            return
        except HttpRequestError as error:
            if error.response.status_code != 400:
                raise
            time.sleep(1.0)
    lab.voice.hangup(call.uuid)


check_hangup_function(lab, end_call)
