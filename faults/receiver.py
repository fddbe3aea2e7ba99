#!/usr/bin/env python3
"""A flaky urgent-path HTTP receiver for the fault scenarios (127.0.0.1 only).

receiver.py PORT LOG [--plan 500,500,stall,cut,ok] [--delay-start SECONDS] [--stall SECONDS] [--cert PEM --key PEM]
Requests take the plan's behaviours in order, then `ok` forever:
  ok     read the body, answer 204; the body's entries are delivered (appended to LOG as `seq requestId`)
  500    read the body, answer 500
  stall  read the body, wait --stall seconds (default 10), close without an answer
  cut    read half of the body, close the connection (mid-body)
--delay-start: connections are refused (nothing listens) for this long first.
--cert/--key: HTTPS with this certificate (a self-signed one in the scenarios).
Prints `requests=N delivered=M` to stderr at SIGTERM.
"""
import http.server, json, re, signal, socket, ssl, sys, threading, time

port, log = int(sys.argv[1]), sys.argv[2]
opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
plan = [p for p in opts.get("--plan", "").split(",") if p]
stall = float(opts.get("--stall", "10"))
lock = threading.Lock()
state = {"requests": 0, "delivered": 0, "handshake_failures": 0}
seq_re = re.compile(r"seq=(\d+)")

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        with lock:
            n = state["requests"]; state["requests"] += 1
        mode = plan[n] if n < len(plan) else "ok"
        length = int(self.headers.get("Content-Length", "0"))
        if mode == "cut":
            self.rfile.read(length // 2)
            self.connection.shutdown(socket.SHUT_RDWR); self.close_connection = True
            return
        body = self.rfile.read(length)
        if mode == "stall":
            time.sleep(stall); self.close_connection = True
            return
        if mode == "500":
            self.send_response(500); self.send_header("Content-Length", "0"); self.end_headers()
            return
        rows = []
        for line in body.decode("utf-8", "replace").splitlines():
            if not line.strip(): continue
            e = json.loads(line)
            m = seq_re.search(e.get("message", ""))
            rows.append(f"{m.group(1) if m else '-'} {e.get('context', {}).get('requestId', '-')}\n")
        with lock:
            with open(log, "a") as f: f.writelines(rows)
            state["delivered"] += len(rows)
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()

def stop(*_):
    tls = f" handshake_failures={state['handshake_failures']}" if "--cert" in opts else ""
    sys.stderr.write(f"requests={state['requests']} delivered={state['delivered']}{tls}\n"); sys.stderr.flush()
    raise SystemExit(0)
signal.signal(signal.SIGTERM, stop)
time.sleep(float(opts.get("--delay-start", "0")))
http.server.ThreadingHTTPServer.allow_reuse_address = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
srv.daemon_threads = True
if "--cert" in opts:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(opts["--cert"], opts["--key"])
    # Handshakes in the handler threads (a refused one must not stall accept()); failed ones are counted.
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    def setup(self):
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            with lock: state["handshake_failures"] += 1
            raise
        http.server.BaseHTTPRequestHandler.setup(self)
    Handler.setup = setup
    srv.handle_error = lambda request, address: None
srv.serve_forever()
