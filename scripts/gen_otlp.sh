#!/usr/bin/env bash
# Regenerates Sources/Ingest/OTLP/Generated/*.pb.swift from the OTLP logs .proto files. The build never runs this:
# the generated files are committed, and the .proto sources are not (they are the OpenTelemetry project's and
# googleapis' files, Apache-2.0): PROTO_DIR is a folder holding a checkout of open-telemetry/opentelemetry-proto
# (opentelemetry/proto/...) with google/rpc/status.proto from googleapis beside it. The generated files came from
# opentelemetry-proto's logs, common, resource and collector/logs v1 files; their field numbers and types were
# checked against the descriptors of PyPI's opentelemetry-proto 1.45.2. Needs Debian's protobuf-compiler and protoc-gen-swift from swift-protobuf 1.39.0 (the version
# Package.swift depends on), built once outside the repository, e.g.:
#   mkdir -p /tmp/protoc-gen && cd /tmp/protoc-gen   # a package that depends on swift-protobuf exact: "1.39.0"
#   swift build -c release --product protoc-gen-swift
# PROTO_DIR=/path/to/protos PLUGIN=/path/to/protoc-gen-swift scripts/gen_otlp.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PLUGIN=${PLUGIN:-/tmp/protoc-gen/.build/release/protoc-gen-swift}
OUT=Sources/Ingest/OTLP/Generated
PROTO_DIR=${PROTO_DIR:?set PROTO_DIR to the folder holding opentelemetry/proto/... and google/rpc/status.proto}
[ -x "$PLUGIN" ] || { echo "protoc-gen-swift not found at $PLUGIN (set PLUGIN=)" >&2; exit 2; }
command -v protoc >/dev/null || { echo "protoc not found: apt-get install protobuf-compiler" >&2; exit 2; }
rm -f "$OUT"/*.pb.swift
mkdir -p "$OUT"
# Internal visibility: the types are Ingest's own (tests reach them with @testable import).
protoc --plugin=protoc-gen-swift="$PLUGIN" -I "$PROTO_DIR" -I /usr/include \
  --swift_opt=Visibility=Internal --swift_opt=FileNaming=PathToUnderscores --swift_out="$OUT" \
  opentelemetry/proto/common/v1/common.proto \
  opentelemetry/proto/resource/v1/resource.proto \
  opentelemetry/proto/logs/v1/logs.proto \
  opentelemetry/proto/collector/logs/v1/logs_service.proto \
  google/rpc/status.proto
ls -l "$OUT"
