#!/usr/bin/env python3
"""Writes numbered JSON lines of a fixed length into DIR/NAME at a steady rate, rotating every PERIOD seconds in
turn by each style, for the rotation fault scenarios (issue 17).

rotgen.py DIR COUNT [--name app.log] [--rate N] [--period S] [--styles rename,copytruncate,delete]
          [--count-file F] [--events F] [--line-bytes N]
  rename        DIR/NAME -> DIR/NAME.<k>, a new DIR/NAME is created
  copytruncate  DIR/NAME copied to DIR/NAME.c<k>, then truncated in place (the writer keeps appending)
  delete        DIR/NAME deleted, a new DIR/NAME is created
  --count-file  the number of lines written so far (kept up to date, written on exit)
  --events      one line per rotation: `<unix time> <style> <k>`, written before the rotation starts
  --line-bytes  every line is exactly this long, newline included (default 100): lost bytes / this = lost lines
Nothing is written between a copy and its truncation (like logrotate's copytruncate done by the writer itself).
"""
import argparse, os, shutil, signal, time

ap = argparse.ArgumentParser()
ap.add_argument("dir"); ap.add_argument("count", type=int)
ap.add_argument("--name", default="app.log"); ap.add_argument("--rate", type=float, default=5000)
ap.add_argument("--period", type=float, default=1.0)
ap.add_argument("--styles", default="rename,copytruncate,delete")
ap.add_argument("--count-file"); ap.add_argument("--events"); ap.add_argument("--line-bytes", type=int, default=100)
a = ap.parse_args()
signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
path = os.path.join(a.dir, a.name)
styles = a.styles.split(",")
written = 0

def save():
    if a.count_file:
        with open(a.count_file + ".tmp", "w") as f: f.write(str(written))
        os.replace(a.count_file + ".tmp", a.count_file)

def line(seq):
    head = '{"level":"info","msg":"rotation seq=%d","pad":"' % seq
    tail = '"}\n'
    return (head + "x" * (a.line_bytes - len(head) - len(tail)) + tail).encode()

def event(style, k):
    if a.events:
        with open(a.events, "a") as f: f.write(f"{time.time():.3f} {style} {k}\n")

fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
t0 = time.time()
if a.events:
    with open(a.events, "a") as f: f.write(f"start {t0:.3f} {a.period} {a.styles}\n")
group = max(1, int(a.rate / 100))
next_rotation = t0 + a.period; k = 0
try:
    while written < a.count:
        # Rotate first, a pause after the last write (a reader has usually caught up by then: a copy then has
        # nothing it has not read).
        if time.time() >= next_rotation and written > 0:
            k += 1; style = styles[(k - 1) % len(styles)]
            event(style, k)
            if style == "rename":
                os.close(fd); os.rename(path, f"{path}.{k}")
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            elif style == "copytruncate":
                shutil.copyfile(path, f"{path}.c{k}"); os.ftruncate(fd, 0)
            elif style == "delete":
                os.close(fd); os.unlink(path)
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            next_rotation += a.period
        n = min(group, a.count - written)
        data = b"".join(line(written + 1 + i) for i in range(n))
        off = 0
        while off < len(data): off += os.write(fd, data[off:])
        written += n
        if (written // group) % 10 == 0: save()
        ahead = t0 + written / a.rate - time.time()
        if ahead > 0: time.sleep(ahead)
except KeyboardInterrupt:
    pass
finally:
    save()
