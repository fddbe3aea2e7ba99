#!/usr/bin/env python3
"""Urgent-path latency: mixed JSON lines into `logpipe run --urgent http://127.0.0.1:PORT/...` with an ERROR
every 10 ms carrying its send time; a receiver (a separate process) records each ERROR's arrival.

    python3 bench/urgent_latency.py [--bin .build/release/logpipe] [--rate 80000] [--seconds 10]

Prints p50/p90/p99/max of (arrival at the receiver - write into logpipe's stdin) for the ERROR entries; the
target is p99 < 10 ms. Filler lines come from bench/gen_logs.py (DEBUG/INFO/WARN only, so the urgent stream is
exactly the marked ERRORs). Both times are CLOCK_MONOTONIC (time.monotonic_ns), shared by the processes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def serve(arrivals_path):
    """Receiver process: prints its port, appends `id monotonic_ns` per marked entry to arrivals_path."""
    out = open(arrivals_path, "a", buffering=1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            now = time.monotonic_ns()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            marks = []
            for line in body.split(b"\n"):
                i = line.find(b'"requestId":"lat-')
                if i >= 0:
                    j = line.index(b'"', i + 17)
                    marks.append("lat-%s %d\n" % (line[i + 17:j].decode(), now))
            with lock:
                out.write("".join(marks))

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


def filler_pool(n):
    gen = subprocess.run([sys.executable, os.path.join(HERE, "gen_logs.py"), "--lines", str(n), "--seed", "7"],
                         check=True, capture_output=True).stdout.split(b"\n")
    pool = [l + b"\n" for l in gen if l and b'"level":"ERROR"' not in l and b'"level":"FATAL"' not in l]
    return pool


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p / 100))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("LOGPIPE_BIN", os.path.join(ROOT, ".build/release/logpipe")))
    ap.add_argument("--rate", type=int, default=80000, help="filler lines per second (default 80000)")
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--error-every-ms", type=float, default=10)
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        return serve(args.serve)

    work = tempfile.mkdtemp(prefix="logpipe-urgent-bench-")
    arrivals_path = os.path.join(work, "arrivals")
    open(arrivals_path, "w").close()
    receiver = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve", arrivals_path],
                                stdout=subprocess.PIPE)
    port = int(receiver.stdout.readline())
    pool = filler_pool(50000)
    logpipe = subprocess.Popen([args.bin, "run", "--out", os.path.join(work, "out"), "--state-dir",
                                os.path.join(work, "state"), "--urgent", "http://127.0.0.1:%d/urgent" % port],
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    fd = logpipe.stdin.fileno()
    sent = {}
    tick = 0.002  # write filler every 2 ms
    per_tick = args.rate * tick
    start = time.monotonic()
    next_error = start
    due = 0.0
    k = 0
    lines_written = 0
    n = 0
    while True:
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        due += per_tick
        take = int(due)
        due -= take
        if take:
            chunk = b"".join(pool[(k + i) % len(pool)] for i in range(take))
            k += take
            os.write(fd, chunk)
            lines_written += take
        now = time.monotonic()
        if now >= next_error:
            ident = "lat-%d" % n
            line = ('{"timestamp":"2026-11-27T00:00:00.000Z","level":"ERROR","message":"payment declined %d",'
                    '"context":{"service":"payments","requestId":"%s"}}\n' % (n, ident)).encode()
            sent[ident] = time.monotonic_ns()
            os.write(fd, line)
            lines_written += 1
            n += 1
            next_error += args.error_every_ms / 1000
        sleep = tick - (time.monotonic() - now)
        if sleep > 0:
            time.sleep(sleep)
    elapsed = time.monotonic() - start
    logpipe.stdin.close()
    err = logpipe.stderr.read().decode()
    logpipe.wait()
    time.sleep(0.2)
    receiver.kill()
    arrived = {}
    for line in open(arrivals_path):
        ident, t = line.split()
        arrived.setdefault(ident, int(t))
    lat = sorted((arrived[i] - sent[i]) / 1e6 for i in sent if i in arrived)
    print("logpipe exit %d; %s" % (logpipe.returncode, err.strip().splitlines()[-1] if err.strip() else ""))
    print("input: %d lines in %.1f s (%.0f lines/s), %d ERRORs every %g ms" %
          (lines_written, elapsed, lines_written / elapsed, len(sent), args.error_every_ms))
    if not lat:
        print("no ERROR arrived")
        return 1
    print("urgent latency (write into stdin -> arrival at receiver), %d of %d arrived: "
          "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms" %
          (len(lat), len(sent), percentile(lat, 50), percentile(lat, 90), percentile(lat, 99), lat[-1]))
    return 0 if len(lat) == len(sent) else 1


if __name__ == "__main__":
    sys.exit(main())
