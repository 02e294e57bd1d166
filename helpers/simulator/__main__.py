"""Run the simulator until interrupted: `python -m helpers.simulator [--host H] [--port P]`.

Once it is listening it prints one JSON line on stdout with `api_host`, `ca_cert`,
`application_id`, `private_key`, `number` (the application's phone number, digits only),
`api_key` and `api_secret` (the account's key pair, for the Applications API's Basic auth), so a
script or another kernel can connect to it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .server import Simulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.simulator",
                                     description="A local Vonage Voice API for Recording Lab.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--state-dir", default=None,
                        help="where keys, certificates and recordings live "
                             "(default: $RECORDING_LAB_HOME or .recording-lab)")
    parser.add_argument("--pace", type=float, default=None,
                        help="real-time factor for new calls (1 = real time); "
                             "default: as fast as possible")
    args = parser.parse_args(argv)
    if args.pace is not None and args.pace <= 0:
        parser.error("--pace must be above 0")
    simulator = Simulator(args.host, args.port, args.state_dir, pace=args.pace)
    info = simulator.start()
    print(json.dumps(info), flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
