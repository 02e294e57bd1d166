"""Load: 200 concurrent recorded calls through the SDK, then memory over 1000 more.

Starts a simulator (`python -m helpers.simulator`, a process of its own, so the client's
threads do not share its interpreter) and a webhook receiver in a temporary folder (nothing of
the lab's own state is touched), and:

1. places `--calls` recorded calls at once through the official `vonage` SDK, one thread per
   call, at `--pace` (so every call is still running when the last one is placed), and
   reports the SDK's create latency (p50/p99, nearest rank);
2. waits until the simulator is idle and compares, by event id (the `X-Lab-Event-Id` each
   delivery carries), what the simulator sent to the receiver (each call's timeline) with
   what the receiver's JSON-lines log holds: expected, received, lost, duplicated;
3. measures the simulator process's RSS before and after `--more` calls placed in batches of
   `--batch` at a time on the fast virtual clock, with the same event check over them.

Prints the figures and one summary line; the exit status is 1 if any event was lost or
duplicated. Not a timed test: the figures depend on the machine (2 cores: about 2 minutes).

Run: `make bench`, or `.venv/bin/python benchmarks/bench_load.py [--calls 200] [--more 1000]`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The concurrent calls: the talker answers after 2 s and speaks; 4 s recorded, then a prompt.
NCCO = [{"action": "record", "timeOut": 4}, {"action": "talk", "text": "Thank you."}]
TALKER = "447700900001"
# The memory check's calls: the cheapest recorded call (a silent callee, 3 s recorded).
SHORT_NCCO, SILENT = [{"action": "record", "timeOut": 3}], "447700900005"


def rss_mib(pid: int) -> tuple[float, float]:
    """A process's resident memory now and at its peak, in MiB (Linux: /proc)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux: /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))]


def place(lab, calls_module, count: int, workers: int, ncco: list = NCCO,
          to: str = TALKER) -> tuple[list, list[float]]:
    """Place `count` calls from `workers` threads; the calls and each create's seconds."""
    def one(_: int):
        started = time.perf_counter()
        call = calls_module.place_call(lab, ncco, to, quiet=True)
        return call, time.perf_counter() - started

    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(one, range(count)))
    return [call for call, _ in done], [took for _, took in done]


def check_events(lab, calls_module, made: list) -> dict:
    """Expected (the simulator's deliveries to the receiver) against the receiver's log."""
    receiver = lab.receiver.url
    with ThreadPoolExecutor(8) as pool:
        stories = list(pool.map(lambda call: calls_module.timeline(lab, call), made))
    expected = {d["id"] for story in stories for d in story.deliveries
                if str(d.get("url", "")).startswith(receiver) and "id" in d}
    conversations = {call.conversation_uuid for call in made}
    stored = [r for r in lab.events.all() if r.get("conversation_uuid") in conversations]
    ids = Counter(r.get("_received", {}).get("event_id") for r in stored)
    # The same event stored twice under two ids would hide from the id count: check content.
    content = Counter((r.get("status") or ("record" if "recording_url" in r else "other"),
                       r.get("uuid") or r.get("recording_uuid"), r.get("timestamp"))
                      for r in stored)
    records = sum(1 for r in stored if "recording_url" in r)
    return {"expected": len(expected), "received": len(stored),
            "lost": len(expected - set(ids)),
            "duplicated": sum(n - 1 for n in ids.values() if n > 1)
            + sum(n - 1 for n in content.values() if n > 1),
            "unexpected": len(set(ids) - expected), "recordings": records}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls (200)")
    parser.add_argument("--pace", type=float, default=1.0,
                        help="virtual seconds per second for them (1: real time)")
    parser.add_argument("--more", type=int, default=1000, help="calls for the memory check")
    parser.add_argument("--batch", type=int, default=50, help="calls at a time in that check")
    args = parser.parse_args()
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)  # "pool is full"

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        env = {**os.environ, "RECORDING_LAB_HOME": str(Path(tmp) / "home"),
               "RECORDING_LAB_MODE": "simulator",
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        os.environ.update({k: env[k] for k in ("RECORDING_LAB_HOME", "RECORDING_LAB_MODE")})
        state = Path(tmp) / "sim"
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-m", "helpers.simulator", "--port", "0",
                                  "--state-dir", str(state)], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            info = json.loads(child.stdout.readline())
            lab = connect_to(info, state, Path(tmp) / "events.jsonl")
            try:
                return run(args, lab, child.pid, started)
            finally:
                lab.receiver.stop()
        finally:
            child.terminate()
            child.wait(30)


def connect_to(info: dict, state: Path, events: Path):
    """A Lab on the simulator process: the SDK client and a receiver that trusts its
    signatures (`helpers.client.lab_for` does the same for a simulator in this process)."""
    from helpers.client import Lab, _sdk_client
    from helpers.receiver import Receiver
    from helpers.simulator.keys import SIGNATURE_SECRET

    client = _sdk_client(info["application_id"], info["private_key"], info["api_host"],
                         info["ca_cert"], info["api_key"], info["api_secret"])
    secret = (state / SIGNATURE_SECRET).read_text().strip()
    receiver = Receiver(events, signature_secret=secret).start()
    return Lab("simulator", client, receiver, receiver.url, simulator=info)


def run(args, lab, sim_pid: int, started: float) -> int:
    from helpers import calls

    place(lab, calls, 2, 2)  # first-time costs (speech cache, JIT-ish imports)
    assert calls.wait_idle(lab, 120), "the warm-up calls did not finish"

    # --- 1: concurrent calls --------------------------------------------------------------
    print(f"1. {args.calls} recorded calls placed at once through the SDK "
          f"(one thread each, pace {args.pace:g}x)", flush=True)
    phase = time.perf_counter()
    previous = calls.set_pace(lab, args.pace)
    try:
        made, took = place(lab, calls, args.calls, args.calls)
    finally:
        calls.set_pace(lab, previous)
    placed = time.perf_counter() - phase
    ended = {r.get("uuid") for r in lab.events.all() if r.get("status") in calls.TERMINAL_STATUSES}
    running = sum(1 for call in made if call.uuid not in ended)
    assert calls.wait_idle(lab, 300), "the calls did not finish within 5 minutes"
    first = check_events(lab, calls, made)
    p50, p99 = nearest_rank(took, 0.50) * 1000, nearest_rank(took, 0.99) * 1000
    print(f"   create latency  p50 {p50:.0f} ms, p99 {p99:.0f} ms, max {max(took) * 1000:.0f} ms"
          f" (all placed in {placed:.1f} s; {running} of {args.calls} still running then)")
    print(f"   events          expected {first['expected']}, received {first['received']}, "
          f"lost {first['lost']}, duplicated {first['duplicated']}, unexpected "
          f"{first['unexpected']} ({first['recordings']} record events); "
          f"{time.perf_counter() - phase:.1f} s in all", flush=True)

    # --- 2: memory over many calls ---------------------------------------------------------
    before, _ = rss_mib(sim_pid)
    cpu_before = cpu_seconds(sim_pid)
    print(f"2. {args.more} more recorded calls (3 s each), {args.batch} at a time, fast virtual "
          "clock", flush=True)
    phase = time.perf_counter()
    totals: Counter = Counter()
    for start in range(0, args.more, args.batch):
        batch, _ = place(lab, calls, min(args.batch, args.more - start), 16, SHORT_NCCO,
                         SILENT)
        assert calls.wait_idle(lab, 300), "a batch did not finish within 5 minutes"
        totals.update(check_events(lab, calls, batch))
        del batch
    after, peak = rss_mib(sim_pid)
    cpu_per_call = (cpu_seconds(sim_pid) - cpu_before) / max(args.more, 1)
    more_wall = time.perf_counter() - phase
    print(f"   events          expected {totals['expected']}, received {totals['received']}, "
          f"lost {totals['lost']}, duplicated {totals['duplicated']}, unexpected "
          f"{totals['unexpected']}; {more_wall:.1f} s ({args.more / more_wall:.1f} calls/s)")
    print(f"   simulator RSS   {before:.0f} MiB before, {after:.0f} MiB after "
          f"({(after - before) * 1024 / max(args.more, 1):+.0f} KiB per call), "
          f"peak {peak:.0f} MiB; {cpu_per_call * 1000:.0f} ms of its CPU per call", flush=True)

    lost = first["lost"] + totals["lost"]
    duplicated = first["duplicated"] + totals["duplicated"]
    wall = time.perf_counter() - started
    verdict = "OK" if lost == duplicated == 0 else "FAILED"
    print(f"bench_load {verdict}: {args.calls} concurrent calls, create p50 {p50:.0f} ms / p99 "
          f"{p99:.0f} ms; events lost {lost}, duplicated {duplicated} of "
          f"{first['expected'] + totals['expected']}; RSS {before:.0f} -> {after:.0f} MiB over "
          f"{args.more} calls; {wall:.0f} s")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
