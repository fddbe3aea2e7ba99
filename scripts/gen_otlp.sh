#!/usr/bin/env bash
# Regenerates Sources/Ingest/OTLP/Generated/*.pb.swift from the OTLP logs .proto files in scripts/otlp-proto/
# (the interface definitions of open-telemetry/opentelemetry-proto, Apache-2.0, and google/rpc/status.proto of
# googleapis, Apache-2.0, with their licence headers). The build never runs this: the generated files are
# committed. Needs Debian's protobuf-compiler and protoc-gen-swift from swift-protobuf 1.39.0 (the version
# Package.swift depends on), built once outside the repository, e.g.:
#   mkdir -p /tmp/protoc-gen && cd /tmp/protoc-gen   # a package that depends on swift-protobuf exact: "1.39.0"
#   swift build -c release --product protoc-gen-swift
# PLUGIN=/path/to/protoc-gen-swift scripts/gen_otlp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGIN=${PLUGIN:-/tmp/protoc-gen/.build/release/protoc-gen-swift}
OUT=Sources/Ingest/OTLP/Generated
[ -x "$PLUGIN" ] || { echo "protoc-gen-swift not found at $PLUGIN (set PLUGIN=)" >&2; exit 2; }
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 2; }
rm -f "$OUT"/*.pb.swift
mkdir -p "$OUT"
# Internal visibility: the types are Ingest's own (tests reach them with @testable import).
protoc --plugin=protoc-gen-swift="$PLUGIN" -I scripts/otlp-proto -I /usr/include \
  --swift_opt=Visibility=Internal --swift_opt=FileNaming=PathToUnderscores --swift_out="$OUT" \
  opentelemetry/proto/common/v1/common.proto \
  opentelemetry/proto/resource/v1/resource.proto \
  opentelemetry/proto/logs/v1/logs.proto \
  opentelemetry/proto/collector/logs/v1/logs_service.proto \
  google/rpc/status.proto
ls -l "$OUT"
