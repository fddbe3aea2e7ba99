#!/usr/bin/env bash
# make report-shot: build an HTML report and screenshot it at 1280 px wide in headless Chromium; check the
# charts were drawn (pixels of each chart colour in the PNG, chart elements in the HTML).
#   scripts/report_shot.sh [OUT.png]   (default: report-shot.png; the HTML is written next to it)
# Input: samples/*.jsonl (through `logpipe run`) plus generated traffic with known episodes from 09:05: 12 minutes of six
# services at ~3 % errors, a 3-minute error spike in checkout from minute 4, a slow rise in search from minute 6,
# performance values and shop journeys (view → cart → checkout → purchase).
# Env: LOGPIPE_BIN (default .build/debug/logpipe, built when missing), CHROMIUM (default: chromium),
#      SHOT_HEIGHT (default 2600).
set -euo pipefail
cd "$(dirname "$0")/.."
out_png="${1:-report-shot.png}"
out_html="${out_png%.png}.html"
bin="${LOGPIPE_BIN:-.build/debug/logpipe}"
height="${SHOT_HEIGHT:-2600}"
[ -x "$bin" ] || swift build
browser="${CHROMIUM:-chromium}"
if ! command -v "$browser" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "report-shot: $browser missing and not root to apt-get it" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/episodes.jsonl" <<'PY'
import json, random, sys
rng = random.Random(23)
start = 1795770300000  # 2026-11-27T09:05:00Z, after the samples
services = ["checkout", "payments", "search", "inventory", "auth", "notifications"]
noise = [("user %d not found", None), ("timeout after %d ms calling db", None),
         ("timeout after %d ms calling db", "java.net.SocketTimeoutException: Read timed out\n\tat com.shop.Db.query(Db.java:42)"),
         ("upstream returned 503 for request %d", None),
         ("invalid token for session %d", "AuthError: bad token\n    at verify (/app/auth.js:12:5)")]
steps = ["view_product", "add_to_cart", "begin_checkout", "purchase"]
n, span = 24000, 12 * 60000
lines = []
# 300 shoppers: all view, 70 % add to cart, 45 % begin checkout, 25 % purchase, a step every 20 s.
for u in range(300):
    reach = 4 if u % 20 < 5 else 3 if u % 20 < 9 else 2 if u % 20 < 14 else 1
    for j in range(reach):
        t = start + (u * 2311) % (span - 80000) + j * 20000
        sec, ms = divmod(t - start, 1000)
        lines.append((t, json.dumps({"timestamp": "2026-11-27T09:%02d:%02d.%03dZ" % (5 + sec // 60, sec % 60, ms),
                                     "level": "INFO", "message": steps[j],
                                     "context": {"service": "web", "version": "1.0", "environment": "production",
                                                 "userId": "u%d" % u, "sessionId": "s%d" % u, "requestId": "w%d%d" % (u, j)},
                                     "metadata": {"type": "user_action", "action": steps[j]}})))
with open(sys.argv[1], "w") as out:
    for i in range(n):
        t = start + span * i // n
        m = (t - start) / 60000
        svc = services[rng.randrange(len(services))]
        share, new = 0.03, None
        if svc == "checkout" and 4 <= m < 7:
            share, new = 0.35, "payment gateway timeout after %d ms for order %d"
        if svc == "search" and 6 <= m < 10.5:
            share, new = min(0.4, 0.03 + 0.37 * (m - 6) / 4), "search backend %d overloaded"
        ctx = {"service": svc, "version": "1.0", "environment": "production" if rng.random() < 0.8 else "staging",
               "sessionId": "s%d" % (i % 500), "requestId": "r%d" % i}
        e = {"timestamp": None, "level": "INFO", "message": "request %d served" % i, "context": ctx}
        if rng.random() < share:
            e["level"] = "ERROR"
            if new and rng.random() < 0.7:
                e["message"] = new % ((rng.randrange(5000),) * new.count("%d"))
            else:
                msg, stack = noise[rng.randrange(len(noise))]
                e["message"] = msg % rng.randrange(100000)
                if stack:
                    e["stack"] = stack
        elif rng.random() < 0.15:
            e["metadata"] = {"type": "performance", "metric": "http_request_ms",
                             "value": round(rng.lognormvariate(3.5, 0.5) * (3 if svc == "checkout" and 4 <= m < 7 else 1), 1)}
        sec, ms = divmod(t - start, 1000)
        e["timestamp"] = "2026-11-27T09:%02d:%02d.%03dZ" % (5 + sec // 60, sec % 60, ms)
        lines.append((t, json.dumps(e)))
    lines.sort(key=lambda x: x[0])
    out.write("".join(l + "\n" for _, l in lines))
PY
for f in samples/*.jsonl "$tmp/episodes.jsonl"; do "$bin" run --out "$tmp/segments" < "$f" 2>/dev/null; done
"$bin" analyze "$tmp/segments" --format html > "$out_html"
abs_html="$(cd "$(dirname "$out_html")" && pwd)/$(basename "$out_html")"
rm -f "$out_png"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out_png" \
    --window-size=1280,"$height" "file://$abs_html" >/dev/null 2>&1 || true

python3 - "$out_png" "$out_html" "$height" <<'PY'
import re, struct, sys, zlib
png, html, height = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    data = open(png, "rb").read()
except OSError:
    sys.exit(f"report-shot: no screenshot written to {png}")
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("report-shot: not a PNG")
width, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
if (width, h) != (1280, height):
    sys.exit(f"report-shot: unexpected size {width}x{h}")
if len(data) < 20_000:
    sys.exit(f"report-shot: PNG only {len(data)} bytes: blank page?")
# Decode (8-bit RGB/RGBA, non-interlaced) and count chart-coloured pixels.
idat, pos = b"", 8
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}.get(ctype)
if depth != 8 or bpp is None:
    sys.exit(f"report-shot: unsupported PNG format depth={depth} colour={ctype}")
stride = width * bpp
counts = {"rate": 0, "pattern": 0, "incident": 0, "action": 0, "funnel": 0, "nonwhite": 0}
prev, i = bytearray(stride), 0
for _ in range(h):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    if f == 2:
        line = bytearray((x + y) & 255 for x, y in zip(line, prev))
    elif f != 0:
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        if r < 240 or g < 240 or b < 240: counts["nonwhite"] += 1
        if abs(r - 0xd6) < 20 and abs(g - 0x45) < 25 and abs(b - 0x45) < 25: counts["rate"] += 1       # #d64545
        elif abs(r - 0x3b) < 20 and abs(g - 0x6f) < 20 and abs(b - 0xd4) < 20: counts["pattern"] += 1  # #3b6fd4
        elif abs(r - 0xb0) < 16 and g < 30 and abs(b - 0x20) < 20: counts["incident"] += 1              # #b00020
        elif abs(r - 0x2e) < 16 and abs(g - 0x9e) < 16 and abs(b - 0x6b) < 16: counts["action"] += 1   # #2e9e6b
        elif abs(r - 0x8e) < 16 and abs(g - 0x6b) < 16 and abs(b - 0xd6) < 16: counts["funnel"] += 1   # #8e6bd6
    prev = line
text = open(html, encoding="utf-8").read()
elements = {k: len(re.findall(r'class="%s"' % k, text)) for k in
            ["rate-bar", "pattern-bar", "incident-bar", "action-bar", "funnel-bar", "perf-line"]}
elements["spark"] = len(re.findall(r'<svg class="spark', text))
print(f"report-shot: {png} {width}x{h}, {len(data)} bytes; pixels: " + ", ".join(f"{k} {v}" for k, v in counts.items())
      + "; html elements: " + ", ".join(f"{k} {v}" for k, v in elements.items()))
if re.search(r'(src|href)="https?:', text) or "<script" in text:
    sys.exit("report-shot: the report is not self-contained")
missing = [k for k in ["rate", "pattern", "incident", "action", "funnel"] if counts[k] < 150]
if missing or min(elements.values()) == 0:
    sys.exit(f"report-shot: charts did not render: {missing or [k for k, v in elements.items() if v == 0]}")
PY
