#!/usr/bin/env python3
"""Write realistic, deterministic web-shop log lines for benchmarking logpipe.

    python3 bench/gen_logs.py --lines N [--seed S] [--format json|logfmt|plain] > file

The same seed and arguments always produce byte-identical output. Only the standard library is used. The script
draws from pools of strings built once at start-up and uses random.random() and getrandbits() only, because both
give the same sequence on every Python 3 version for an integer seed.
"""

import argparse
import random
import sys
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 27, tzinfo=timezone.utc)
CHUNK = 8192  # lines per write

SERVICES = [
    ("checkout", "2.4.1"), ("payments", "1.9.3"), ("inventory", "3.0.0"),
    ("auth", "1.12.7"), ("search", "5.2.0"), ("notifications", "0.9.14"),
]
ENVIRONMENTS = ["production"] * 8 + ["staging", "canary"]
HOSTS = ["web-%02d" % i for i in range(1, 13)] + ["api-%02d" % i for i in range(1, 7)] + ["worker-%d" % i for i in range(1, 5)]
SKUS = ["SKU-%05d" % (10000 + i * 379 % 90000) for i in range(400)]
PROVIDERS = ["stripe", "adyen", "paypal", "klarna"]
CARRIERS = ["dhl", "ups", "fedex", "dpd"]
# (method, path, service index or -1 for any)
ROUTES = [
    ("GET", "/api/v1/products/%s", 4), ("GET", "/api/v1/stock/%s", 2), ("POST", "/api/v2/checkout", 0),
    ("POST", "/api/v2/cart/items", 0), ("DELETE", "/api/v2/cart/items/%s", 0), ("GET", "/api/v1/search", 4),
    ("POST", "/api/v1/login", 3), ("POST", "/api/v1/payments/%s/capture", 1), ("GET", "/healthz", -1),
]
TABLES = ["orders", "order_items", "carts", "stock", "users", "payments", "sessions"]
ACTIONS = ["add_to_cart", "remove_from_cart", "begin_checkout", "purchase", "login", "logout", "search", "view_product"]

# (weight out of 100, name); cumulative table built below.
LEVEL_WEIGHTS = [(20, "DEBUG"), (60, "INFO"), (12, "WARN"), (7, "ERROR"), (1, "FATAL")]

JAVA_FRAMES = [
    "com.shop.checkout.CheckoutService.placeOrder(CheckoutService.java:211)",
    "com.shop.checkout.CheckoutController.submit(CheckoutController.java:97)",
    "com.shop.checkout.OrderRepository.save(OrderRepository.java:89)",
    "com.shop.inventory.StockRepository.reserve(StockRepository.java:118)",
    "com.shop.inventory.ReservationService.reserveForOrder(ReservationService.java:64)",
    "com.shop.payments.PaymentService.authorize(PaymentService.java:143)",
    "com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:197)",
    "org.postgresql.jdbc.PgStatement.executeInternal(PgStatement.java:496)",
    "org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:883)",
    "java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)",
    "java.base/java.lang.Thread.run(Thread.java:1583)",
]
JAVA_EXCEPTIONS = [
    "java.sql.SQLTransactionRollbackException: deadlock detected",
    "java.net.SocketTimeoutException: Read timed out",
    "java.lang.IllegalStateException: pool exhausted (max=50)",
    "java.lang.NullPointerException: Cannot invoke \"com.shop.checkout.Cart.total()\" because \"cart\" is null",
    "java.lang.OutOfMemoryError: Java heap space",
]
NODE_STACKS = [
    "Error: connect ECONNREFUSED 10.0.3.14:6379\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)\n"
    "    at RedisClient.connect (/app/node_modules/redis/dist/lib/client.js:412:20)\n"
    "    at async SessionStore.get (/app/src/auth/session-store.js:38:5)",
    "TypeError: Cannot read properties of undefined (reading 'total')\n"
    "    at CheckoutController.submit (/app/src/checkout/controller.js:141:29)\n"
    "    at Layer.handle [as handle_request] (/app/node_modules/express/lib/router/layer.js:95:5)\n"
    "    at next (/app/node_modules/express/lib/router/route.js:149:13)",
    "JsonWebTokenError: invalid signature\n    at /app/node_modules/jsonwebtoken/verify.js:171:19\n"
    "    at verifyToken (/app/src/auth/jwt.js:22:10)",
]
PY_STACKS = [
    "Traceback (most recent call last):\n  File \"/srv/search/indexer.py\", line 88, in run\n    self.index_batch(batch)\n"
    "  File \"/srv/search/indexer.py\", line 142, in index_batch\n    qty = int(row[\"quantity\"])\n"
    "ValueError: invalid literal for int() with base 10: 'N/A'",
]


def json_str(s):
    """Escape s as the inside of a JSON string (the pools hold ASCII text only)."""
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")


def logfmt_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def build_stacks(rng):
    stacks = []
    for exc in JAVA_EXCEPTIONS:
        for depth in (2, 4, 6):
            start = int(rng.random() * 4)
            frames = JAVA_FRAMES[start:start + depth] or JAVA_FRAMES[:3]
            text = exc + "".join("\n\tat " + f for f in frames)
            if depth == 6:
                text += "\nCaused by: java.io.IOException: stream closed\n\tat com.shop.http.Pool.read(Pool.java:51)\n\t... 12 more"
            stacks.append(text)
    stacks += NODE_STACKS * 3 + PY_STACKS * 2
    return stacks


# Message makers: (level class, function(rnd, getbits) -> (message, metadata-kind, metadata-args)).
# metadata kinds: None, "perf" (metric, value), "action" (action), "http" (method, path, status, ms)
def make_messages():
    def ms(rnd):
        # roughly log-normal latencies: mostly 2-80 ms, with a tail
        x = rnd()
        return round(2 + 60 * x * x + (900 * x ** 12), 1)

    def sku(rnd):
        return SKUS[int(rnd() * len(SKUS))]

    def route(rnd):
        m, p, svc = ROUTES[int(rnd() * len(ROUTES))]
        if "%s" in p:
            p = p % (sku(rnd) if svc != 1 else "pi_%08x" % int(rnd() * 4294967296))
        return m, p, svc

    # Service indexes: 0 checkout, 1 payments, 2 inventory, 3 auth, 4 search, 5 notifications; -1 any.
    info = [
        lambda rnd, gb: ("order %d placed, total EUR %.2f, %d items" % (8000 + gb(20), 4 + rnd() * 480, 1 + int(rnd() * 7)),
                         "action", ("purchase",), 0),
        lambda rnd, gb: ("cart updated: added %s x%d" % (sku(rnd), 1 + int(rnd() * 3)), "action", ("add_to_cart",), 0),
        lambda rnd, gb: ("payment authorized via %s for order %d" % (PROVIDERS[int(rnd() * 4)], 8000 + gb(20)), None, None, 1),
        lambda rnd, gb: ("reserved %d units of %s" % (1 + int(rnd() * 4), sku(rnd)), None, None, 2),
        lambda rnd, gb: ("user logged in", "action", ("login",), 3),
        lambda rnd, gb: ("search for %d-char query returned %d hits" % (3 + int(rnd() * 20), int(rnd() * 400)),
                         "action", ("search",), 4),
        lambda rnd, gb: ("shipping quote from %s: %.2f EUR" % (CARRIERS[int(rnd() * 4)], 3 + rnd() * 22), None, None, 0),
        lambda rnd, gb: ("order confirmation email queued for order %d" % (8000 + gb(20)), None, None, 5),
    ]

    def http_msg(rnd, gb):
        m, p, svc = route(rnd)
        status = (200, 200, 200, 201, 204, 304)[int(rnd() * 6)]
        d = ms(rnd)
        # only some services attach the request as metadata
        return ("%s %s %d in %.1fms" % (m, p, status, d), "http" if rnd() < 0.4 else None, (m, p, status, d), svc)

    info += [http_msg, http_msg]

    def q_msg(rnd, gb):
        d = ms(rnd)
        t = TABLES[int(rnd() * len(TABLES))]
        return ("query on %s took %.1fms (%d rows)" % (t, d, int(rnd() * 50)), "perf", ("db_query_ms", d), -1)

    def unhandled(rnd, gb):
        m, p, svc = route(rnd)
        return ("unhandled exception in %s %s" % (m, p), None, None, svc)

    debug = [
        q_msg, q_msg,
        lambda rnd, gb: ("cache %s for key cart:%08x" % (("hit", "miss")[int(rnd() * 2)], gb(32)), None, None, 0),
        lambda rnd, gb: ("feature flag new-checkout-flow evaluated to %s" % ("on", "off")[int(rnd() * 2)], None, None, -1),
        lambda rnd, gb: ("db pool stats active=%d idle=%d waiting=%d" % (int(rnd() * 20), int(rnd() * 10), int(rnd() * 3)),
                         "perf", ("db_pool_active", float(int(rnd() * 20))), -1),
        lambda rnd, gb: ("reading /var/lib/shop/cache/%02x/%08x.bin (%d bytes)" % (gb(8), gb(32), gb(16)), None, None, 4),
    ]
    warn = [
        lambda rnd, gb: ("slow query on %s took %.1fms" % (TABLES[int(rnd() * 7)], 500 + rnd() * 4000), "perf",
                         ("db_query_ms", round(500 + rnd() * 4000, 1)), -1),
        lambda rnd, gb: ("retrying request to %s (attempt %d/3)" % (PROVIDERS[int(rnd() * 4)], 2 + int(rnd() * 2)), None, None, 1),
        lambda rnd, gb: ("stock for %s below threshold (%d left)" % (sku(rnd), int(rnd() * 5)), None, None, 2),
        lambda rnd, gb: ("rate limit approaching: %d/1000 req/min" % (850 + int(rnd() * 150)), None, None, -1),
        lambda rnd, gb: ("failed login attempt (%d in last 10m)" % (2 + int(rnd() * 8)), "action", ("login_failed",), 3),
    ]
    error = [
        lambda rnd, gb: ("payment declined: card_declined for order %d" % (8000 + gb(20)), None, None, 1),
        lambda rnd, gb: ("failed to reserve stock for %s: deadlock detected" % sku(rnd), None, None, 2),
        lambda rnd, gb: ("upstream timeout after 5000ms calling shipping-rates", "perf", ("http_request_ms", 5000.0), 0),
        lambda rnd, gb: ("connection refused: redis://cache-%02d:6379" % (1 + int(rnd() * 3)), None, None, -1),
        unhandled,
        lambda rnd, gb: ("JWT verification failed: signature mismatch", None, None, 3),
        lambda rnd, gb: ("failed to send email via smtp.internal:587: 421 too many connections", None, None, 5),
    ]
    fatal = [
        lambda rnd, gb: ("database connection pool exhausted, shutting down", None, None, -1),
        lambda rnd, gb: ("cannot load signing keys from /etc/auth/keys.pem: permission denied", None, None, 3),
        lambda rnd, gb: ("out of memory: heap limit reached (%d MB)" % (1024 << int(rnd() * 3)), None, None, -1),
    ]
    return {"DEBUG": debug, "INFO": info, "WARN": warn, "ERROR": error, "FATAL": fatal}


class Clock:
    """RFC 3339 timestamps from a millisecond counter, re-formatting the seconds part only when it changes."""

    def __init__(self):
        self.ms = 0
        self.sec = -1
        self.iso_prefix = self.plain_prefix = ""

    def advance(self, step):
        self.ms += step
        sec = self.ms // 1000
        if sec != self.sec:
            self.sec = sec
            t = START + timedelta(seconds=sec)
            self.iso_prefix = t.strftime("%Y-%m-%dT%H:%M:%S.")
            self.plain_prefix = t.strftime("%Y-%m-%d %H:%M:%S,")
        return self.ms % 1000


def main():
    ap = argparse.ArgumentParser(description="Deterministic web-shop log generator for logpipe benchmarks.")
    ap.add_argument("--lines", type=int, required=True, help="number of log entries to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--format", choices=["json", "logfmt", "plain"], default="json")
    args = ap.parse_args()
    if args.lines < 0:
        ap.error("--lines must be >= 0")

    rng = random.Random(args.seed)
    rnd = rng.random
    gb = rng.getrandbits

    # Pools
    users = ["u-%d" % (1000 + i) for i in range(20000)]
    sessions = ["%016x" % gb(64) for _ in range(len(users))]
    stacks = build_stacks(rng)
    stacks_json = [json_str(s) for s in stacks]
    messages = make_messages()
    level_table = []
    for w, name in LEVEL_WEIGHTS:
        level_table += [name] * w
    threads = ["main", "http-nio-8080-exec-%d" % 3, "http-nio-8080-exec-%d" % 7, "scheduler-1", "kafka-consumer-2"]
    n_users = len(users)
    n_services = len(SERVICES)
    n_hosts = len(HOSTS)
    n_stacks = len(stacks)
    n_env = len(ENVIRONMENTS)
    ctx_head = {}  # (service index, env) -> JSON prefix of context
    for si, (svc, ver) in enumerate(SERVICES):
        for env in set(ENVIRONMENTS):
            ctx_head[si, env] = '"context":{"service":"%s","version":"%s","environment":"%s"' % (svc, ver, env)

    fmt = args.format
    clock = Clock()
    out = sys.stdout.buffer
    buf = []
    total = 0
    for i in range(args.lines):
        milli = clock.advance(1 + int(rnd() * 6))
        level = level_table[int(rnd() * 100)]
        makers = messages[level]
        msg, mkind, margs, si = makers[int(rnd() * len(makers))](rnd, gb)
        if si < 0:
            si = int(rnd() * n_services)
        env = ENVIRONMENTS[int(rnd() * n_env)]
        ui = int(rnd() * n_users)
        user = users[ui]
        has_user = rnd() < 0.8
        has_session = rnd() >= 0.15
        has_request = rnd() >= 0.15
        host = HOSTS[int(rnd() * n_hosts)] if rnd() < 0.2 else None
        req = "%032x" % gb(128) if has_request else None
        stack = None
        if (level == "ERROR" or level == "FATAL") and rnd() < 0.8:
            stack = int(rnd() * n_stacks)

        if fmt == "json":
            parts = ['{"timestamp":"', clock.iso_prefix, "%03dZ" % milli, '","level":"', level,
                     '","message":"', json_str(msg), '",', ctx_head[si, env]]
            if host:
                parts.append(',"host":"%s"' % host)
            if has_user:
                parts.append(',"userId":"%s"' % user)
            if has_session:
                parts.append(',"sessionId":"%s"' % sessions[ui])
            if has_request:
                if req[31] < "8":  # half UUIDv4, half 16-hex trace-style IDs
                    parts.append(',"requestId":"%s-%s-4%s-%s%s-%s"' % (req[:8], req[8:12], req[13:16],
                                                                          "89ab"[int(req[16], 16) & 3], req[17:20], req[20:]))
                else:
                    parts.append(',"requestId":"%s"' % req[:16])
            parts.append("}")
            if mkind == "perf":
                parts.append(',"metadata":{"type":"performance","metric":"%s","value":%s}' % margs)
            elif mkind == "action":
                parts.append(',"metadata":{"type":"user_action","action":"%s","userId":"%s"}' % (margs[0], user))
            elif mkind == "http":
                parts.append(',"metadata":{"http":{"method":"%s","status":%d,"durationMs":%s}}' % (margs[0], margs[2], margs[3]))
            if stack is not None:
                parts.append(',"stack":"%s"' % stacks_json[stack])
            parts.append("}\n")
            buf.append("".join(parts))
        elif fmt == "logfmt":
            svc, ver = SERVICES[si]
            parts = ["ts=", clock.iso_prefix, "%03dZ" % milli, " level=", level.lower(), " msg=", logfmt_str(msg),
                     " service=", svc, " version=", ver, " env=", env]
            if host:
                parts.append(" host=" + host)
            if has_user:
                parts.append(" user_id=" + user)
            if has_session:
                parts.append(" session_id=" + sessions[ui])
            if has_request:
                parts.append(" request_id=" + req)
            if mkind == "perf":
                parts.append(" metric=%s value=%s" % margs)
            elif mkind == "action":
                parts.append(" action=" + margs[0])
            elif mkind == "http":
                parts.append(" method=%s path=%s status=%d duration=%sms" % margs)
            if stack is not None:
                parts.append(" err=" + logfmt_str(stacks[stack].split("\n", 1)[0]))
            parts.append("\n")
            buf.append("".join(parts))
        else:  # plain: logback-style line, stack trace on the following lines
            svc = SERVICES[si][0]
            line = "%s%03d %-5s [%s] c.s.%s - %s%s%s\n" % (
                clock.plain_prefix, milli, level, threads[int(rnd() * 5)], svc, msg,
                " user=" + user if has_user else "", " req=" + req[:16] if has_request else "")
            if stack is not None:
                line += stacks[stack] + "\n"
            buf.append(line)

        if len(buf) >= CHUNK:
            data = "".join(buf).encode()
            total += len(data)
            out.write(data)
            buf = []
    if buf:
        data = "".join(buf).encode()
        total += len(data)
        out.write(data)
    out.flush()
    avg = total / args.lines if args.lines else 0.0
    sys.stderr.write("gen_logs: %d entries, %d bytes, %.1f bytes/entry on average (format %s, seed %d)\n"
                     % (args.lines, total, avg, fmt, args.seed))


if __name__ == "__main__":
    main()
