extension IncidentDetector {
    /// An open episode of one service, as the detector tracks it.
    struct Episode: Sendable {
        var id: Int
        var kind: Incident.Kind
        var service: String
        var startMillis: Int64
        var detectedMillis: Int64
        /// The share above which errors count as the episode's (for its start and end).
        var excessReference: Double
        var baseline: Double?
        var openLevel: Double
        var resolveLevel: Double
        var errors: Int
        var entries: Int
        var rateAtDetection: Double
        var errorKey: String?
        var severity: Incident.Severity = .medium
        var state: Incident.State = .open
        var peakMillis: Int64 = 0
        var peakRate = 0.0
        var updatedMillis: Int64 = 0
        var belowSince: Int64?
        var endMillis: Int64?
        var endEstimate: Int64?
        var patterns: [String: Int] = [:]

        func incident(configuration c: Configuration) -> Incident {
            let top = patterns.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(c.topPatterns).map { Incident.PatternCount(key: $0.key, count: $0.value) }
            return Incident(id: id, kind: kind, severity: severity, state: state, timestampMillis: detectedMillis,
                            service: service, windowMillis: c.windowMillis, errors: errors, entries: entries,
                            rate: rateAtDetection, errorKey: errorKey, startMillis: startMillis,
                            peakMillis: peakMillis, peakRate: peakRate, endMillis: endMillis, baseline: baseline,
                            openLevel: openLevel, patterns: Array(top), updateMillis: updatedMillis)
        }
    }
}
