#!/usr/bin/env python3
"""Per-stage cost table of one profiled logpipe run, from a `perf record -e cpu-clock` file (issue 19).

Usage: cost_table.py PERF_DATA LINES WALL_SECONDS [--exe NAME] [--workers N] [--markdown]
       cost_table.py --waits SCHED_DATA --exe NAME     (a `perf sched record` of the same run)

Every sample is charged to a stage by where it landed: the Swift source file of the instruction (perf's `srcfile`,
from the release build's debug info, so code inlined into `BatchEncoder.encode` still counts for its own stage), else
the shared library, else the kernel symbol and the thread it ran on (the source thread reads, the delivery thread
writes). cpu-clock periods are nanoseconds, so the table is ns of CPU per input line, independent of the load on
the machine; the thread table puts each thread's CPU beside the run's wall time: what a thread did not spend on a
core it spent waiting (blocked on a hand-off, or descheduled when other processes ran).

With --waits, the scheduler's view of a run (`perf sched timehist`) tells the two apart per thread: `blocked` is
time asleep (waiting for a batch, a free slot, a read or an fsync), `ready` is time runnable without a core (the
other threads of the run, or other processes on a shared machine).
"""
import collections, subprocess, sys

# Stage of a Swift source file (basename). Anything not named here falls to the symbol rules below.
FILES = {
    "reading": ["StreamSource.swift", "SegmentReplaySource.swift",
                "SegmentReader.swift", "ParallelSegmentReader.swift", "LZ4FrameDecoder.swift"],
    "framing": ["LineFramer.swift", "RawBatch.swift"],
    "parsing": ["JSONLineParser.swift", "JSONScanner.swift", "SWAR.swift", "FieldKey.swift", "ParseStage.swift",
                "LineParser.swift", "ParsedEntry.swift", "LogfmtParser.swift", "SyslogParser.swift",
                "PlainTextParser.swift", "TimestampParser.swift", "Level.swift", "ASCII.swift", "CivilTime.swift"],
    "filtering": ["LevelFilterStage.swift"],
    "enrichment": ["EnrichStage.swift", "Enrichment.swift", "UUIDv7Generator.swift"],
    "encoding": ["BatchEncoder.swift", "EntryWriter.swift", "JSONStringWriter.swift", "ByteWriter.swift",
                 "TimestampFormatter.swift", "EncodedBatch.swift", "ByteBuffer.swift", "RunWorker.swift"],
    "compression": ["LZ4FrameCompressor.swift", "GzipMemberCompressor.swift", "ZstdFrameCompressor.swift"],
    "writing": ["SegmentSink.swift", "OpenSegment.swift", "SegmentPositionLog.swift", "SHA256Hasher.swift",
                "SegmentManifest.swift", "AtomicFile.swift"],
    "hand-offs": ["OrderedWorkPool.swift", "TopologyRunner.swift", "Acknowledgements.swift", "BufferPool.swift",
                  "StopSignal.swift"],
}
STAGES = ["reading", "framing", "parsing", "filtering", "enrichment", "encoding", "compression", "writing",
          "hand-offs", "start-up", "other"]
FILE_STAGE = {f: s for s, fs in FILES.items() for f in fs}
# Kernel work by what it is, whatever thread did it (the worker that delivers a batch also writes it).
KERNEL_READ = ("_copy_to_iter", "copy_page_to_iter", "filemap_read", "filemap_get_read_batch", "touch_atime",
               "do_sys_poll", "ksys_read", "vfs_read")
KERNEL_WRITE = ("copy_folio_from_iter", "ext4", "generic_perform_write", "folio", "balance_dirty", "iomap", "mpage",
                "jbd2", "block_", "blk_", "bio", "__es_", "dquot", "fsync", "ksys_write", "vfs_write", "writeback")
KERNEL_HANDOFF = ("futex", "schedule", "finish_task_switch", "_raw_spin", "try_to_wake_up", "pick_next", "__switch_to",
                  "do_nanosleep", "hrtimer", "irqentry_exit", "syscall_exit", "exit_to_user", "update_curr",
                  "enqueue", "dequeue", "select_task", "ttwu")


def role(comm, exe):
    """Thread role from its name: libdispatch names its pool threads by QoS; the overcommit one is the serial
    delivery queue; threads that keep the executable's name are the main and source threads."""
    if "overcommit" in comm:
        return "delivery"
    if "qos" in comm:
        return "worker"
    return "source" if comm == exe[:15] else comm


def stage(comm, dso, sym, src, exe):
    base = src.rsplit("/", 1)[-1] if src else ""
    if base in FILE_STAGE:
        return FILE_STAGE[base]
    if "FileTail" in base or "Replay" in base:
        return "reading"
    # Inlined code without a line of its own (`<compiler-generated>`): the type named in the mangled symbol.
    for f, s in FILE_STAGE.items():
        if f[:-6] in sym:
            return s
    r = role(comm, exe)
    if "lz4" in dso or "deflate" in dso or "libz." in dso or "zstd" in dso:
        return "reading" if r == "source" else "compression"
    if "crypto" in dso:
        return "writing"  # SHA-256 of the segment file, on the delivery thread
    if dso.startswith("ld-linux") or "ProtocolConformance" in src or "Metadata" in src or "dl-" in src:
        return "start-up"
    if "dispatch" in dso or "pthread" in src or "futex" in src or "BlocksRuntime" in dso:
        return "hand-offs"
    if "kernel" in dso:
        if any(k in sym for k in KERNEL_HANDOFF):
            return "hand-offs"
        if any(k in sym for k in KERNEL_READ):
            return "reading"
        if any(k in sym for k in KERNEL_WRITE):
            return "writing"
        return {"source": "reading", "delivery": "writing", "worker": "encoding"}.get(r, "other")
    if "memchr" in src and r == "source":
        return "framing"
    if ("memmove" in src or "memcpy" in src) and r == "source":
        return "framing"  # the unfinished tail copied into the next batch's buffer
    if "memmove" in src or "memcpy" in src or "memset" in src:
        return "encoding" if r == "worker" else "writing" if r == "delivery" else "other"
    if "malloc" in src or "libswiftCore" in dso:
        return "hand-offs" if r != "worker" else "encoding"
    if dso == exe:  # array bookkeeping specialised into the executable, charged to the thread's own stage
        return {"source": "framing", "delivery": "writing", "worker": "encoding"}.get(r, "other")
    return "other"


def report(data, key):
    out = subprocess.run(["perf", "report", "-i", data, "--sort", key, "-t", "\x1f", "--stdio",
                          "--show-total-period"], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = [p.strip() for p in line.split("\x1f")]
        yield int(parts[1]), parts[2:]


def main():
    args = sys.argv[1:]
    markdown = "--markdown" in args
    workers = 2
    if "--workers" in args:
        workers = int(args[args.index("--workers") + 1])
    data, lines, wall = args[0], int(args[1]), float(args[2])
    exe = args[args.index("--exe") + 1] if "--exe" in args else "logpipe"
    per_stage = collections.Counter()
    total = 0
    for period, (comm, dso, sym, src) in report(data, "comm,dso,sym,srcfile"):
        if comm.startswith("python") or comm in ("bash", "sh", "time", "readlink", "basename", "perf"):
            continue
        sym = sym[4:] if sym[:1] == "[" else sym
        per_stage[stage(comm, dso, sym, src, exe)] += period
        total += period
    threads = collections.Counter()
    for period, (pidcomm,) in report(data, "pid"):
        if pidcomm.split(":", 1)[-1] in ("time", "bash", "sh") or pidcomm.split(":", 1)[-1].startswith("python"):
            continue
        threads[role(pidcomm.split(":", 1)[-1], exe)] += period
    if markdown:
        print("| stage | ns/line | share |")
        print("|---|---:|---:|")
    else:
        print(f"{'stage':<12} {'ns/line':>8} {'share':>6}")
    for s in STAGES:
        if per_stage[s] == 0:
            continue
        ns, share = per_stage[s] / lines, 100 * per_stage[s] / total
        print(f"| {s} | {ns:.0f} | {share:.1f}% |" if markdown else f"{s:<12} {ns:8.0f} {share:5.1f}%")
    tot = f"{total / lines:.0f}"
    print(f"| **total CPU** | **{tot}** | {total / 1e9:.3f} s |" if markdown
          else f"{'total CPU':<12} {tot:>8}  ({total / 1e9:.3f} s for {lines} lines, {wall:.3f} s wall)")
    print()
    print(f"threads (CPU vs wall {wall:.3f} s; waiting = wall x threads - CPU):")
    for r, ns in sorted(threads.items(), key=lambda kv: -kv[1]):
        if r not in ("source", "worker", "delivery"):
            continue  # helper processes of the harness
        n = workers if r == "worker" else 1
        cpu = ns / 1e9
        print(f"  {r:<9} {cpu:6.3f} s CPU over {n} thread(s): busy {100 * cpu / (wall * n):5.1f}%, "
              f"waiting {max(0.0, wall * n - cpu):.3f} s")


def waits(data, exe):
    out = subprocess.run(["perf", "sched", "timehist", "-i", data], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[2] == "<idle>":
            continue
        if len(f) < 6 or not f[2].endswith("]") or "[" not in f[2]:
            continue
        comm, ids = f[2][:-1].rsplit("[", 1)
        tid, _, pid = ids.partition("/")
        try:
            rows.append((comm, int(tid), int(pid or tid), float(f[3]), float(f[4]), float(f[5])))
        except ValueError:
            continue
    main_pids = {tid for comm, tid, pid, *_ in rows if comm == exe[:15] and tid == pid}
    if not main_pids:
        print(f"no thread of {exe} in {data}")
        return
    pid = max(main_pids, key=lambda p: sum(r[5] for r in rows if r[2] == p))
    per = collections.defaultdict(lambda: [0.0, 0.0, 0.0])
    names = {}
    others = 0.0
    for comm, tid, p, wait, delay, run in rows:
        if p != pid:
            others += run if comm != "<idle>" else 0
            continue
        names[tid] = comm
        t = per[tid]
        t[0] += run; t[1] += wait; t[2] += delay
    print(f"scheduler view per thread (ms): running, blocked (asleep: no batch, no slot, I/O), ready (no core free)")
    for tid, (run, wait, delay) in sorted(per.items(), key=lambda kv: -kv[1][0]):
        if run < 1:
            continue
        r = "main" if tid == pid else role(names[tid], exe)
        print(f"  {r:<9} {tid:>8}  running {run:8.1f}  blocked {wait:8.1f}  ready {delay:8.1f}")
    print(f"  other processes ran {others:.0f} ms of CPU meanwhile (a shared machine's load)")


if __name__ == "__main__":
    if "--waits" in sys.argv:
        a = sys.argv
        waits(a[a.index("--waits") + 1], a[a.index("--exe") + 1] if "--exe" in a else "logpipe")
    else:
        main()
