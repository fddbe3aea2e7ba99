#!/usr/bin/env python3
"""Load and acknowledgement checks for logpipe's HTTP and OTLP inputs: several processes, each with one kept-alive
connection, POST requests of many records and count what was answered 200.

  http_input_load.py URL --kind otlp|otlp-json|ndjson [--connections 4] [--records 500] [--requests N]
                     [--seconds S] [--acked FILE] [--start SEQ]

Every record carries a sequence number (attribute/field "seq"), unique across connections: connection c sends
seq = start + (c + k * connections) * records + j for its k-th request. --acked appends one "first count" line per
request answered 200 (flushed at once, so a kill -9 of the receiver leaves the file exact). Prints one JSON line:
{"requests", "ok", "records_ok", "refused": {status: n}, "seconds", "records_per_second"}.
"""
import argparse
import http.client
import json
import multiprocessing as mp
import sys
import time
import urllib.parse


def otlp_body(first, count, as_json):
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2 as svc
    from opentelemetry.proto.logs.v1 import logs_pb2
    from opentelemetry.proto.common.v1 import common_pb2
    req = svc.ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.add(key="service.name", value=common_pb2.AnyValue(string_value="bench"))
    sl = rl.scope_logs.add()
    sl.scope.name = "load"
    now = time.time_ns()
    for j in range(count):
        r = sl.log_records.add()
        r.time_unix_nano = now
        r.severity_number = logs_pb2.SEVERITY_NUMBER_INFO
        r.body.string_value = f"request handled path=/api/items/{first + j} status=200"
        r.attributes.add(key="seq", value=common_pb2.AnyValue(int_value=first + j))
        r.attributes.add(key="http.method", value=common_pb2.AnyValue(string_value="GET"))
        r.trace_id = (first + j).to_bytes(16, "big")
        r.span_id = (first + j + 1).to_bytes(8, "big")
    if not as_json:
        return req.SerializeToString(), "application/x-protobuf"
    from google.protobuf import json_format
    doc = json_format.MessageToDict(req)
    # OTLP/JSON: IDs are hex, not base64 (json_format writes base64).
    for r in doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]:
        import base64
        r["traceId"] = base64.b64decode(r["traceId"]).hex()
        r["spanId"] = base64.b64decode(r["spanId"]).hex()
        r["severityNumber"] = 9
    return json.dumps(doc).encode(), "application/json"


def ndjson_body(first, count):
    lines = [json.dumps({"level": "info", "message": f"request handled path=/api/items/{first + j} status=200",
                         "service": "bench", "seq": first + j}) for j in range(count)]
    return ("\n".join(lines) + "\n").encode(), "application/x-ndjson"


def worker(c, args, out):
    url = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    stats = {"requests": 0, "ok": 0, "records_ok": 0, "refused": {}}
    acked = open(args.acked, "a", buffering=1) if args.acked else None
    cached = None
    deadline = time.time() + args.seconds if args.seconds else None
    k = 0
    while (args.requests is None or k < args.requests) and (deadline is None or time.time() < deadline):
        first = args.start + (c + k * args.connections) * args.records
        if args.fixed and cached:
            body, ctype = cached
        elif args.kind == "ndjson":
            body, ctype = ndjson_body(first, args.records)
        else:
            body, ctype = otlp_body(first, args.records, args.kind == "otlp-json")
        cached = (body, ctype)
        k += 1
        stats["requests"] += 1
        try:
            conn.request("POST", url.path or "/", body=body, headers={"Content-Type": ctype})
            resp = conn.getresponse()
            resp.read()
        except (OSError, http.client.HTTPException) as e:
            stats["refused"]["error"] = stats["refused"].get("error", 0) + 1
            conn.close()
            if args.stop_on_error:
                break
            time.sleep(0.05)
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            continue
        if resp.status == 200:
            stats["ok"] += 1
            stats["records_ok"] += args.records
            if acked:
                acked.write(f"{first} {args.records}\n")
        else:
            key = str(resp.status)
            stats["refused"][key] = stats["refused"].get(key, 0) + 1
            if resp.status == 503:
                time.sleep(0.01)
    out.put(stats)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--kind", default="otlp", choices=["otlp", "otlp-json", "ndjson"])
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--records", type=int, default=500)
    ap.add_argument("--requests", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--acked")
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--fixed", action="store_true", help="send the first body again and again (bench: no build cost)")
    ap.add_argument("--stop-on-error", action="store_true")
    args = ap.parse_args()
    if args.requests is None and args.seconds is None:
        args.requests = 10
    out = mp.Queue()
    t0 = time.time()
    procs = [mp.Process(target=worker, args=(c, args, out)) for c in range(args.connections)]
    for p in procs:
        p.start()
    total = {"requests": 0, "ok": 0, "records_ok": 0, "refused": {}}
    for _ in procs:
        s = out.get()
        for key in ("requests", "ok", "records_ok"):
            total[key] += s[key]
        for key, n in s["refused"].items():
            total["refused"][key] = total["refused"].get(key, 0) + n
    for p in procs:
        p.join()
    total["seconds"] = round(time.time() - t0, 3)
    total["records_per_second"] = round(total["records_ok"] / max(total["seconds"], 1e-9))
    print(json.dumps(total))


if __name__ == "__main__":
    main()
