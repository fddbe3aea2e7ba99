#!/usr/bin/env python3
"""Times a tailing logpipe: starts COMMAND (stderr to ERRFILE), waits until a checkpoint in STATE/checkpoints.json
reaches OFFSET, sends SIGTERM and waits for the exit. Prints "<seconds until durable> <seconds until exit>" from the
start of COMMAND. Exit 1 when COMMAND ends before the checkpoint or fails, 2 when TIMEOUT seconds pass (it is killed).

Usage: time_tail.py [--rusage] STATE OFFSET TIMEOUT ERRFILE -- COMMAND...

With --rusage, two more fields: the command's CPU seconds (user+sys) and its peak RSS in KB.

The clock starts after Python's own start-up (~0.1 s of CPU here), and the wait sleeps on inotify (the checkpoint file
is replaced by a rename into STATE) instead of polling the file: polling every 5 ms took ~4% of a core, and both
were charged to the run on this 2-core machine, a handicap the stdin run it is compared with does not carry.
Without inotify (not Linux) it falls back to polling every 5 ms."""
import ctypes, ctypes.util, json, os, resource, select, signal, subprocess, sys, time

args = sys.argv[1:sys.argv.index("--")]
rusage = "--rusage" in args
args = [a for a in args if a != "--rusage"]
state, offset, timeout, errfile = args[0], int(args[1]), float(args[2]), args[3]
command = sys.argv[sys.argv.index("--") + 1:]
path = os.path.join(state, "checkpoints.json")
IN_MOVED_TO, IN_CLOSE_WRITE, IN_CREATE = 0x80, 0x08, 0x100


def reached():
    try:
        with open(path) as f:
            doc = json.loads(f.read())
    except (OSError, ValueError):
        return False
    entries = doc.get("files", doc) if isinstance(doc, dict) else doc
    values = entries.values() if isinstance(entries, dict) else entries
    return any(isinstance(v, dict) and v.get("offset") == offset for v in values)


def alive():
    return proc.poll() is None


def inotify_fd():
    """An inotify descriptor watching STATE for files renamed or written into it, or None."""
    try:
        # libc by its soname: ctypes.util.find_library runs ldconfig and a compiler, ~0.1 s of CPU at the start.
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        while not os.path.isdir(state):  # logpipe creates it at start
            if not alive() or time.monotonic() > deadline:
                return fd
            time.sleep(0.002)
        if libc.inotify_add_watch(fd, state.encode(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE) < 0:
            os.close(fd)
            return None
        return fd
    except (OSError, AttributeError):
        return None


with open(errfile, "wb") as err:
    t0 = time.monotonic()
    proc = subprocess.Popen(command, stderr=err)
deadline = t0 + timeout
fd = inotify_fd()
while True:
    if reached():
        break
    if not alive():
        print(f"logpipe ended (status {proc.returncode}) before the checkpoint reached {offset}", file=sys.stderr)
        sys.exit(1)
    if time.monotonic() > deadline:
        proc.kill()
        print(f"logpipe not caught up in {timeout:g} s", file=sys.stderr)
        sys.exit(2)
    if fd is None:
        time.sleep(0.005)
        continue
    # Wake on an event in STATE, or every 100 ms to notice the process ending.
    ready, _, _ = select.select([fd], [], [], 0.1)
    if ready:
        try:
            while os.read(fd, 65536):  # drain the events; what they are does not matter
                pass
        except BlockingIOError:
            pass
t1 = time.monotonic()
proc.send_signal(signal.SIGTERM)
status = proc.wait()
t2 = time.monotonic()
if status != 0:
    print(f"logpipe exit status {status}", file=sys.stderr)
    sys.exit(1)
if rusage:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"{t1 - t0:.4f} {t2 - t0:.4f} {r.ru_utime + r.ru_stime:.3f} {r.ru_maxrss}")
else:
    print(f"{t1 - t0:.4f} {t2 - t0:.4f}")
