#!/usr/bin/env python3
"""Sends log records to an OTLP/HTTP logs endpoint with the OpenTelemetry Python SDK's own exporter (the client
applications use), for logpipe's OTLP input tests.

  otlp_sdk_send.py URL [--count N] [--compression none|gzip] [--token T]

Each record i: logger "app.orders", attributes {"order.id": i, "seq": i, "user.id": "u-<i>"}, severity by
i % 5 (DEBUG INFO WARNING ERROR CRITICAL), message "order <i> placed"; then one exception record ("payment
failed" with the ValueError's stack trace), all under resource service.name=checkout, service.version=1.4.2,
deployment.environment.name=test, host.name=web-1. Prints a JSON line {"sent": n, "exported": bool}; exit 1 when
the exporter reported a failure.
"""
import argparse
import json
import logging
import sys

from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExportResult
from opentelemetry.sdk.resources import Resource


class CountingExporter(OTLPLogExporter):
    """The SDK's exporter; remembers whether any export failed."""
    failed = False

    def export(self, batch):
        result = super().export(batch)
        if result != LogRecordExportResult.SUCCESS:
            CountingExporter.failed = True
        return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--compression", default="none")
    ap.add_argument("--token")
    args = ap.parse_args()
    resource = Resource.create({"service.name": "checkout", "service.version": "1.4.2",
                                "deployment.environment.name": "test", "host.name": "web-1"})
    provider = LoggerProvider(resource=resource)
    headers = {"Authorization": f"Bearer {args.token}"} if args.token else None
    exporter = CountingExporter(endpoint=args.url, timeout=10, headers=headers,
                                compression=Compression.Gzip if args.compression == "gzip" else Compression.NoCompression)
    provider.add_log_record_processor(BatchLogRecordProcessor(exporter, max_export_batch_size=200, schedule_delay_millis=50))
    log = logging.getLogger("app.orders")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=provider))
    levels = [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL]
    for i in range(args.count):
        log.log(levels[i % 5], "order %d placed", i, extra={"order.id": i, "seq": i, "user.id": f"u-{i}"})
    try:
        raise ValueError("card declined")
    except ValueError:
        log.exception("payment failed", extra={"seq": args.count})
    provider.force_flush(20_000)
    provider.shutdown()
    print(json.dumps({"sent": args.count + 1, "exported": not CountingExporter.failed}))
    sys.exit(1 if CountingExporter.failed else 0)


if __name__ == "__main__":
    main()
