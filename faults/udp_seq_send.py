#!/usr/bin/env python3
"""Sends numbered datagrams `INFO fault seq=N …` at a steady rate to a loopback UDP port, for the kill9-udp row.

udp_seq_send.py PORT RATE SECONDS TICKLOG [--start N]
Uses a connected socket, so a send to a port nothing is bound to fails with ECONNREFUSED (the kernel reports the
ICMP port-unreachable of an earlier datagram on the next send): those attempts are counted as refused and their
sequence number is reused. A sequence number is consumed only by a send the kernel accepted.
Every 10 ms tick appends `T0 T1 FIRST LAST REFUSED` to TICKLOG (written at exit, SIGTERM too): wall-clock times
(time.time(), the clock `date +%s.%N` reads) before the tick's first send and after its last one, and the
sequence numbers the tick sent (FIRST > LAST when it sent none). 127.0.0.1 only.
"""
import errno, signal, socket, sys, time

port, rate, seconds, ticklog = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
seq = int(sys.argv[sys.argv.index("--start") + 1]) if "--start" in sys.argv else 1
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
pad = "x" * 40
ticks, refused_total = [], 0
t_start = time.monotonic()
sent = 0
while not stop and time.monotonic() - t_start < seconds:
    due = int((time.monotonic() - t_start) * rate) - sent  # catch up after a stall, never run ahead
    t0 = time.time(); first = seq; refused = 0
    for _ in range(max(due, 0)):
        try:
            s.send(f"INFO fault seq={seq} {pad}".encode())
            seq += 1
        except OSError as e:
            if e.errno != errno.ECONNREFUSED: raise
            refused += 1
        sent += 1
    t1 = time.time()
    ticks.append(f"{t0:.6f} {t1:.6f} {first} {seq - 1} {refused}\n")
    refused_total += refused
    time.sleep(0.01)
with open(ticklog, "w") as f:
    f.writelines(ticks)
sys.stderr.write(f"udp_seq_send: {seq - 1} accepted by the kernel, {refused_total} refused\n")
