#!/usr/bin/env bash
# make report-shot: build an HTML report from samples/*.jsonl and screenshot it in headless Chromium.
#   scripts/report_shot.sh [OUT.png]   (default: report-shot.png; the HTML is written next to it)
# Env: LOGPIPE_BIN (default .build/debug/logpipe, built when missing), CHROMIUM (default: chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out_png="${1:-report-shot.png}"
out_html="${out_png%.png}.html"
bin="${LOGPIPE_BIN:-.build/debug/logpipe}"
[ -x "$bin" ] || swift build
browser="${CHROMIUM:-chromium}"
if ! command -v "$browser" >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "report-shot: $browser missing and not root to apt-get it" >&2; exit 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
for f in samples/*.jsonl; do "$bin" run --out "$tmp/segments" < "$f" 2>/dev/null; done
"$bin" analyze "$tmp/segments" --format html > "$out_html"
abs_html="$(cd "$(dirname "$out_html")" && pwd)/$(basename "$out_html")"
rm -f "$out_png"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out_png" \
    --window-size=1200,1600 "file://$abs_html" >/dev/null 2>&1 || true

python3 - "$out_png" "$out_html" <<'PY'
import re, struct, sys, zlib
png, html = sys.argv[1], sys.argv[2]
try:
    data = open(png, "rb").read()
except OSError:
    sys.exit(f"report-shot: no screenshot written to {png}")
if data[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("report-shot: not a PNG")
width, height, depth, ctype = struct.unpack(">IIBB", data[16:26])
if (width, height) != (1200, 1600):
    sys.exit(f"report-shot: unexpected size {width}x{height}")
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
rows, prev, i = [], bytearray(stride), 0
for _ in range(height):
    f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
def count(pred):
    return sum(1 for r in rows for x in range(0, stride, bpp) if pred(r[x], r[x + 1], r[x + 2]))
red = count(lambda r, g, b: r > 180 and g < 110 and b < 110)     # error-rate bars (#d64545)
blue = count(lambda r, g, b: b > 180 and r < 100 and g < 150)    # pattern bars (#3b6fd4)
nonwhite = count(lambda r, g, b: r < 240 or g < 240 or b < 240)
html_text = open(html, encoding="utf-8").read()
bars = len(re.findall(r'class="rate-bar"', html_text)), len(re.findall(r'class="pattern-bar"', html_text))
print(f"report-shot: {png} {width}x{height}, {len(data)} bytes; non-white px {nonwhite}, "
      f"rate-bar px {red}, pattern-bar px {blue}; svg bars in html: {bars[0]} rate, {bars[1]} pattern")
if red < 200 or blue < 200:
    sys.exit("report-shot: charts did not render (too few bar pixels)")
PY
