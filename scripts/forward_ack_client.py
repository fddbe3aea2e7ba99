#!/usr/bin/env python3
"""A Fluentd forward client that asks for acknowledgements, for the forward input's tests.

PyPI fluent-logger (0.11.1) has no `require_ack_response` (the keyword is accepted and ignored), so the ack path
is driven with the `msgpack` package it depends on: each message carries `option.chunk` and the next one is sent
only after `{"ack": chunk}` came back. Modes: message, forward, packed, gzip (CompressedPackedForward).

Usage: forward_ack_client.py PORT COUNT [--mode M] [--per-message N] [--tag T] [--acked FILE] [--prefix TEXT]
Each acknowledged event's number is appended to FILE (flushed at once); exit 0 when all were acknowledged,
3 when the connection broke first.
"""
import argparse, base64, gzip, os, socket, sys, time
import msgpack

p = argparse.ArgumentParser()
p.add_argument("port", type=int)
p.add_argument("count", type=int)
p.add_argument("--mode", default="message", choices=["message", "forward", "packed", "gzip"])
p.add_argument("--per-message", type=int, default=1)
p.add_argument("--tag", default="acked")
p.add_argument("--acked")
p.add_argument("--prefix", default="seq ")
a = p.parse_args()

sock = socket.create_connection(("127.0.0.1", a.port), timeout=10)
unpacker = msgpack.Unpacker(raw=False)
out = open(a.acked, "a") if a.acked else None


def event(i):
    return [int(time.time()), {"message": "%s%d" % (a.prefix, i), "level": "info", "n": i}]


def wait_ack(chunk):
    while True:
        for reply in unpacker:
            if reply.get("ack") != chunk:
                sys.exit("ack for %r while waiting for %r" % (reply, chunk))
            return
        data = sock.recv(4096)
        if not data:
            raise ConnectionError("closed before the ack")
        unpacker.feed(data)


i = 0
try:
    while i < a.count:
        events = [event(k) for k in range(i, min(a.count, i + a.per_message))]
        chunk = base64.b64encode(os.urandom(16)).decode()
        if a.mode == "message":
            t, record = events[0]
            packet = [a.tag, t, record, {"chunk": chunk}]
        elif a.mode == "forward":
            packet = [a.tag, events, {"chunk": chunk}]
        else:
            packed = b"".join(msgpack.packb(e) for e in events)
            option = {"chunk": chunk, "size": len(events)}
            if a.mode == "gzip":
                packed = gzip.compress(packed)
                option["compressed"] = "gzip"
            packet = [a.tag, packed, option]
        sock.sendall(msgpack.packb(packet, use_bin_type=True))
        wait_ack(chunk)
        if out:
            out.write("".join("%d\n" % k for k in range(i, i + len(events))))
            out.flush()
        i += len(events)
except (ConnectionError, OSError, socket.timeout) as e:
    print("stopped after %d acknowledged: %s" % (i, e), file=sys.stderr)
    sys.exit(3)
print("%d acknowledged" % i, file=sys.stderr)
