#!/usr/bin/env python3
"""The soak's log writer: numbered lines at a steady rate into DIR/app.log, rotated logrotate style.

soak_gen.py DIR RATE SECONDS ROTATE_SECONDS STATS_FILE
Writes `LEVEL soak seq=N user=… took=…ms pad` lines in one write per 50 ms tick (RATE/20 lines, more to catch up
after a stall). Every 100th line is ERROR and every 1000th FATAL (both urgent). Every ROTATE_SECONDS:
app.log.1 is deleted, app.log renamed to app.log.1 and a new app.log created (rename + create), so only
app.log matches the tailed glob `DIR/*.log`; logpipe finishes the renamed file by its open descriptor.
STATS_FILE (key=value, rewritten every second and at exit): lines, urgent, rotations, elapsed, worst_lag_ms.
SIGTERM stops it early (stats still written).
"""
import os, signal, sys, time

d, rate, seconds, rotate_s, stats_file = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
path = os.path.join(d, "app.log")
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)

lines = urgent = rotations = 0
worst_lag = 0.0
t0 = time.monotonic()
def save():
    el = time.monotonic() - t0
    with open(stats_file + ".tmp", "w") as f:
        f.write(f"lines={lines}\nurgent={urgent}\nrotations={rotations}\nelapsed={el:.3f}\nworst_lag_ms={worst_lag * 1000:.0f}\n")
    os.replace(stats_file + ".tmp", stats_file)

fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
next_rotate, next_save, tick = t0 + rotate_s, t0 + 1, 0  # tick k is due at t0 + k × 50 ms
pad = "p" * 24
while not stop:
    now = time.monotonic()
    last = now - t0 >= seconds
    if last: now = t0 + seconds  # the final tick writes up to exactly RATE × SECONDS
    worst_lag = max(worst_lag, now - (t0 + tick * 0.05))  # how late this tick started
    target = int((now - t0) * rate)
    n = target - lines
    if n > 0:
        buf = []
        for seq in range(lines + 1, target + 1):
            if seq % 1000 == 0: lvl = "FATAL"; urgent += 1
            elif seq % 100 == 0: lvl = "ERROR"; urgent += 1
            else: lvl = "INFO"
            buf.append(f"{lvl} soak seq={seq} user=u{seq % 977} took={seq % 250}ms {pad}\n")
        data = "".join(buf).encode()
        w = 0
        while w < len(data): w += os.write(fd, data[w:])
        lines = target
    if now >= next_rotate:
        try: os.unlink(path + ".1")
        except FileNotFoundError: pass
        os.rename(path, path + ".1"); os.close(fd)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        rotations += 1; next_rotate += rotate_s
    if last: break
    if now >= next_save: save(); next_save += 1
    tick = max(tick + 1, int((time.monotonic() - t0) / 0.05))  # a missed tick is caught up by `target`
    time.sleep(max(0.0, t0 + tick * 0.05 - time.monotonic()))
save()
