# Answer: the PHP SDK sent timeOut 7200, which makes the record blocking: the connect waits up
# to two hours. A record without timeOut, endOnSilence or endOnKey does not block.
fixed = """
[
  {"action": "record", "eventUrl": ["https://api.acme.example/vonage/recordings"]},
  {"action": "connect", "from": "447700900000",
   "endpoint": [{"type": "phone", "number": "447700900007"}]}
]
"""
check_case_fix(lab, "php-sdk-timeout-7200", fixed)
