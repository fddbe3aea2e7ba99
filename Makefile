# logpipe — set-up, build, test, demo and benchmarks. Everything a fresh Debian machine needs is installed here.
SWIFT      ?= swift
APT_PKGS   := liblz4-dev lz4 zlib1g-dev libdeflate-dev libzstd-dev zstd libssl-dev pkg-config gzip time python3 bsdutils gcc rsyslog rsyslog-gnutls openssl curl tmux
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE    := .build/release/logpipe
DEBUG      := .build/debug/logpipe

.PHONY: deps report-deps bench-deps build release test demo bench report-shot faults fuzz sanitize soak clean

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# The OTLP output's tests decode with the OpenTelemetry protobuf definitions (scripts/otlp_receiver.py).
	@python3 -c 'import opentelemetry.proto.collector.logs.v1.logs_service_pb2' 2>/dev/null || \
	  python3 -m pip install -q opentelemetry-proto==1.45.2
	@# The OTLP input's tests send with the OpenTelemetry SDK's own OTLP/HTTP log exporter (scripts/otlp_sdk_send.py).
	@python3 -c 'import opentelemetry.sdk._logs, opentelemetry.exporter.otlp.proto.http._log_exporter' 2>/dev/null || \
	  python3 -m pip install -q opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2 opentelemetry-proto==1.45.2
	@# The forward input's tests and benchmark send with the Fluentd client library.
	@python3 -c 'import fluent.sender' 2>/dev/null || python3 -m pip install -q fluent-logger==0.11.1

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# Headless Chromium for the HTML report test (AnalyzeHTMLRenderTests runs scripts/report_shot.sh).
report-deps:
	@dpkg -s chromium >/dev/null 2>&1 || { echo "installing: chromium"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

# One debug build serves the unit tests and the end-to-end tests (which run $(DEBUG)).
test: deps report-deps
	$(SWIFT) build --build-tests
	LOGPIPE_BIN=$(CURDIR)/$(DEBUG) $(SWIFT) test --skip-build
	@# Template grouping accuracy on the loghub corpora (kept beside the repository, never committed).
	@if [ -d ../shared/corpora/loghub ]; then \
	  python3 scripts/score_patterns.py --binary $(DEBUG) --corpora ../shared/corpora/loghub --corrected ../shared/corpora/loghub_2k_corrected --min-ga 0.95 --min-pa 0.80; \
	else echo "skipping grouping accuracy: ../shared/corpora/loghub not found"; fi
	@# Fault scenarios (disk full, kill -9, corrupt state, urgent receiver faults, file-system races), short set.
	$(SWIFT) build -c release
	faults/run.sh --short

demo: release
	@rm -rf demo-data
	@for f in samples/app.jsonl samples/app.logfmt samples/syslog.log samples/plain.log; do \
	  echo "== $$f"; $(RELEASE) run --out demo-data --service demo --environment dev < $$f || exit 1; done
	@echo "== segments"; ls -l demo-data
	@echo "== logpipe cat demo-data --min-level ERROR (first 5)"; $(RELEASE) cat demo-data --min-level ERROR | head -5

# perf (software cpu-clock sampling) for the per-stage cost table of bench/acceptance.sh and bench/cost_table.sh.
bench-deps:
	@command -v perf >/dev/null 2>&1 || { echo "installing: linux-perf"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq linux-perf >/dev/null; }

# Every benchmark, each against its physical limit or the reference tool, in the same run (release build).
# acceptance.sh: every ingest path against its reference tool (wall, CPU, peak RSS, issue 19's bars) and the cost table.
bench: release bench-deps
	bash bench/acceptance.sh $(RELEASE)
	bash bench/run.sh $(RELEASE)
	bash bench/codec_bench.sh $(RELEASE)
	bash bench/tail_bench.sh
	bash bench/udp_bench.sh $(RELEASE)
	bash bench/tcp_bench.sh $(RELEASE)
	bash bench/otlp_input_bench.sh $(RELEASE)
	python3 bench/urgent_latency.py --bin $(RELEASE)
	python3 scripts/bench_patterns.py --binary $(RELEASE)
	bash bench/analyze_bench.sh $(RELEASE)

# The analyze HTML report rendered by headless Chromium at 1280 px; checks the charts drew (also part of make test).
report-shot: deps report-deps
	$(SWIFT) build
	scripts/report_shot.sh report-shot.png

# Every fault scenario, longer runs (prints the scenario table; exit 1 when anything is lost).
faults: release
	faults/run.sh

# libFuzzer targets (parsers, framer, segment reader), 60 s each.
fuzz: deps
	fuzz/run.sh 60

# 30 minutes at 20,000 lines/s through file tail with rotation and urgent forwarding; RSS, loss, urgent delivery.
# Not in CI. DURATION=120 make soak for a try (also RATE, ROTATE).
soak: release
	scripts/soak.sh

# The test suite under AddressSanitizer and ThreadSanitizer (separate build folders).
sanitize: deps
	scripts/sanitize.sh

clean:
	rm -rf .build .build-asan .build-tsan .build-*.log fuzz/.build demo-data bench/out
