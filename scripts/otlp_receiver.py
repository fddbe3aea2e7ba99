#!/usr/bin/env python3
"""An OTLP/HTTP logs receiver for tests (issue 21): decodes every request with the OpenTelemetry protobuf
definitions (PyPI opentelemetry-proto) and writes one JSON object per LogRecord, field by field, to OUT.

    python3 scripts/otlp_receiver.py OUT [--unavailable N] [--discard]

Listens on 127.0.0.1 on a free port and prints the port on stdout (one line) and to OUT + ".port". With --unavailable N the first N
requests are answered 503 with `Retry-After: 1` (their records are not written). With --discard every request
is answered 200 unread beyond its length (for benchmarks: bench/otlp_bench.sh). Requests that do not decode
are answered 400 and counted under "undecodable" in OUT + ".stats". Stops on SIGTERM.
"""
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (ExportLogsServiceRequest,
                                                                    ExportLogsServiceResponse)

out_path = sys.argv[1]
unavailable = int(sys.argv[sys.argv.index("--unavailable") + 1]) if "--unavailable" in sys.argv else 0
discard = "--discard" in sys.argv
stats = {"requests": 0, "unavailable": 0, "undecodable": 0, "records": 0, "content_types": [], "encodings": []}


def any_value(v):
    kind = v.WhichOneof("value")
    return None if kind is None else getattr(v, kind)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        stats["requests"] += 1
        if discard:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if stats["unavailable"] < unavailable:
            stats["unavailable"] += 1
            self.send_response(503)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return self.save()
        stats["content_types"].append(self.headers.get("Content-Type"))
        stats["encodings"].append(self.headers.get("Content-Encoding"))
        try:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            request = ExportLogsServiceRequest()
            request.ParseFromString(body)
        except Exception as e:  # noqa: BLE001 - any decoding failure is the sender's fault
            stats["undecodable"] += 1
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return self.save(str(e))
        with open(out_path, "a") as out:
            for rl in request.resource_logs:
                resource = {kv.key: any_value(kv.value) for kv in rl.resource.attributes}
                for sl in rl.scope_logs:
                    for r in sl.log_records:
                        stats["records"] += 1
                        out.write(json.dumps({
                            "resource": resource, "scope": sl.scope.name,
                            "time_unix_nano": r.time_unix_nano, "observed_time_unix_nano": r.observed_time_unix_nano,
                            "severity_number": r.severity_number, "severity_text": r.severity_text,
                            "body": any_value(r.body), "body_kind": r.body.WhichOneof("value"),
                            "attributes": {kv.key: any_value(kv.value) for kv in r.attributes},
                            "as_dict": MessageToDict(r),
                        }) + "\n")
        answer = ExportLogsServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        self.save()

    def save(self, error=None):
        if error:
            stats["last_error"] = error
        with open(out_path + ".stats", "w") as f:
            json.dump(stats, f)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
open(out_path, "w").close()
with open(out_path + ".port", "w") as f:
    f.write(str(server.server_address[1]))
print(server.server_address[1], flush=True)
server.serve_forever()
