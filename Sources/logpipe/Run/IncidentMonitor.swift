import Foundation
import Pipeline

/// The live error-rate monitor (the operations guide's): every delivered entry feeds an `IncidentDetector` — the
/// same episode rules as `logpipe analyze` (ERROR+FATAL share per service over a sliding window of entry time
/// against the service's own baseline, with hysteresis; a new error — message template and first stack frame —
/// bursting). Each update of an episode (opened, escalated, resolved; one `metadata.incident` id for all three)
/// becomes an entry of its own (level ERROR, `metadata.type` "incident"), written to the segments after the batch
/// that raised it and sent on the urgent path. Reads the segment lines' bytes directly; used on the delivery
/// queue only.
final class IncidentMonitor: @unchecked Sendable {
    private var detector: IncidentDetector
    private var miner = TemplateMiner()
    private let enrichment: Enrichment
    private let sessionId: String
    private var ids = UUIDv7Generator()
    private var times = TimestampFormatter()
    private var services: [UInt64: String] = [:]
    /// Detector keys (``ErrorKey/description``) → keys, to name errors by their template in incident entries.
    private var keys: [String: ErrorKey] = [:]
    private static let serviceNeedle = Array("\"context\":{\"service\":\"".utf8)
    private static let stackNeedle = Array(",\"stack\":\"".utf8)
    private static let messageNeedle = Array("\"message\":\"".utf8)
    private(set) var raised = 0

    private var configurationRepeat: Int { detector.configuration.repeatThreshold }

    init(windowMillis: Int64, enrichment: Enrichment, sessionId: String) {
        detector = IncidentDetector(configuration: .init(windowMillis: windowMillis))
        self.enrichment = enrichment
        self.sessionId = sessionId
    }

    /// Observes a batch; returns the incident entries it raised (segment lines), if any.
    func observe(_ batch: EncodedBatch) -> (lines: ByteBuffer, count: Int)? {
        var out: ByteBuffer?
        var count = 0
        let base = batch.output.base
        for (i, info) in batch.entries.enumerated() {
            let start = batch.start(of: i)
            let p = base + start, n = Int(info.end) - start
            let service = serviceName(p, n)
            var key: String?
            if info.level >= .error { key = errorKey(p, n) }
            let incidents = detector.observe(timestampMillis: info.timestampMillis, level: info.level,
                                             service: service, errorKey: key)
            for incident in incidents {
                let buffer = out ?? ByteBuffer(capacity: 1024)
                out = buffer
                write(incident, to: buffer)
                count += 1
            }
        }
        raised += count
        return out.map { ($0, count) }
    }

    /// `context.service` of a segment line (first context key), cached by its bytes.
    private func serviceName(_ p: UnsafePointer<UInt8>, _ n: Int) -> String {
        guard let (s, e) = stringValue(after: Self.serviceNeedle, p, n, from: SegmentLine.levelAt) else { return "unknown" }
        let h = FNV1a.hash(UnsafeRawBufferPointer(start: p + s, count: e - s))
        if let name = services[h] { return name }
        let name = String(decoding: UnsafeBufferPointer(start: p + s, count: e - s), as: UTF8.self)
        if services.count < 10_000 { services[h] = name }
        return name
    }

    /// The "same error" key: message template group and first stack frame.
    private func errorKey(_ p: UnsafePointer<UInt8>, _ n: Int) -> String {
        var group = 0
        if let (s, e) = stringValue(after: Self.messageNeedle, p, n, from: SegmentLine.levelAt) {
            group = miner.group(of: miner.add(bytes: UnsafeBufferPointer(start: p + s, count: e - s)))
        }
        var frame = ""
        if let (s, e) = stringValue(after: Self.stackNeedle, p, n, from: SegmentLine.levelAt) {
            let raw = String(decoding: UnsafeBufferPointer(start: p + s, count: e - s), as: UTF8.self)
            frame = ErrorKey.firstFrame(of: raw.replacingOccurrences(of: "\\n", with: "\n").replacingOccurrences(of: "\\t", with: "\t"))
        }
        let key = ErrorKey(group: group, frame: frame)
        let text = key.description
        if keys[text] == nil, keys.count < 10_000 { keys[text] = key }
        return text
    }

    /// A detector key as people read it: template, and ` @ first frame` when there is one.
    private func name(_ key: String) -> String {
        guard let k = keys[key] else { return key }
        return miner.template(ofGroup: k.group) + (k.frame.isEmpty ? "" : " @ " + k.frame)
    }

    /// The JSON string content after `needle` (searched from `from`): its byte range, escapes left as they are.
    private func stringValue(after needle: [UInt8], _ p: UnsafePointer<UInt8>, _ n: Int, from: Int) -> (Int, Int)? {
        guard n > from, let at = find(needle, p + from, n - from) else { return nil }
        let s = from + at + needle.count
        var e = s
        while e < n, p[e] != 0x22 { e += p[e] == 0x5c ? 2 : 1 }
        return e <= n ? (s, min(e, n)) : nil
    }

    private func find(_ needle: [UInt8], _ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        let m = needle.count
        guard m <= n else { return nil }
        return needle.withUnsafeBufferPointer { nb -> Int? in
            var i = 0
            while i <= n - m {
                guard let hit = memchr(p + i, Int32(nb[0]), n - m - i + 1) else { return nil }
                let at = p.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                if memcmp(p + at, nb.baseAddress!, m) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }

    private func write(_ incident: Incident, to out: ByteBuffer) {
        let seconds = incident.windowMillis / 1000
        let rate = String(format: "%.1f%%", (incident.rate ?? 0) * 100)
        let peak = String(format: "%.1f%%", incident.peakRate * 100)
        let baseline = incident.baseline.map { String(format: "baseline %.1f%%", $0 * 100) } ?? "no baseline yet"
        let error = incident.errorKey.map(name)
        let patterns = incident.patterns.map { name($0.key) }
        var what = "incident #\(incident.id) "
        switch (incident.state, incident.kind) {
        case (.open, .errorRate):
            what += "opened: error rate \(rate) over \(seconds)s for service \(incident.service) (\(incident.severity.rawValue); \(baseline))"
        case (.open, .errorThresholdExceeded):
            what += "opened: new error \(error ?? "") occurred \(configurationRepeat) times within \(seconds)s " +
                "for service \(incident.service) (\(incident.severity.rawValue))"
        case (.escalated, _):
            what += "escalated: \(incident.severity.rawValue), error rate up to \(peak) over \(seconds)s for service \(incident.service) (\(baseline))"
        case (.resolved, _):
            what += "resolved after \(AnalysisReport.duration(incident.durationMillis)): service \(incident.service), " +
                "peak \(peak) (\(incident.severity.rawValue))"
        }
        if !patterns.isEmpty, incident.state != .open || incident.kind == .errorRate { what += "; errors: " + patterns.joined(separator: "; ") }
        var meta = "\"type\":\"incident\",\"incident\":\(incident.id),\"state\":\"\(incident.state.rawValue)\"," +
            "\"kind\":\"\(incident.kind.rawValue)\",\"severity\":\"\(incident.severity.rawValue)\"," +
            "\"windowSeconds\":\(seconds),\"errors\":\(incident.errors),\"entries\":\(incident.entries)"
        if let rate = incident.rate { meta += String(format: ",\"rate\":%.4f", rate) }
        meta += String(format: ",\"peakRate\":%.4f", incident.peakRate)
        if let b = incident.baseline { meta += String(format: ",\"baseline\":%.4f", b) }
        meta += ",\"start\":\"\(AnalysisReport.time(incident.startMillis))\""
        if let end = incident.endMillis { meta += ",\"end\":\"\(AnalysisReport.time(end))\"" }
        if let error { meta += ",\"errorKey\":" + Self.quoted(error) }
        if !patterns.isEmpty { meta += ",\"patterns\":[" + patterns.map(Self.quoted).joined(separator: ",") + "]" }
        out.append("{\"timestamp\":\"")
        out.reserve(24)
        times.write(incident.updateMillis, to: out.end)
        out.count += 24
        out.append(string: "\",\"level\":\"ERROR\",\"message\":" + Self.quoted(what) + ",\"context\":{\"service\":" +
                   Self.quoted(incident.service) + ",\"version\":" + Self.quoted(enrichment.version) +
                   ",\"environment\":" + Self.quoted(enrichment.environment) + ",\"host\":" + Self.quoted(enrichment.host) +
                   ",\"sessionId\":" + Self.quoted(sessionId) + ",\"requestId\":\"")
        out.reserve(36)
        ids.write(millis: nowMillis(), to: out.end)
        out.count += 36
        out.append(string: "\"},\"metadata\":{" + meta + "}}\n")
    }

    private static func quoted(_ s: String) -> String {
        String(decoding: Enrichment.quotedBytes(s), as: UTF8.self)
    }
}
