import Foundation

extension IncidentDetector {
    /// One service: its sliding window, its baseline, the errors it has seen and its open episode.
    struct ServiceState: Sendable {
        /// Entries in the window as counts per millisecond, oldest first (from `head`).
        var buckets: [(millis: Int64, entries: Int, errors: Int)] = []
        var head = 0
        var entries = 0
        var errors = 0
        var newest = Int64.min
        let firstMillis: Int64
        /// Entries that left the window outside episodes, weighted down with age.
        var historyEntries = 0.0
        var historyErrors = 0.0
        var historyMillis = Int64.min
        /// Entries before this (the tail of the last episode) stay out of the history.
        var absorbAfter = Int64.min
        /// First sighting and count of each error key, for the new-error rule.
        var seen: [String: (first: Int64, count: Int)] = [:]
        /// The last error keys with their times (a ring).
        var recent: [(millis: Int64, key: String)] = []
        var recentNext = 0
        var episode: Episode?

        init(firstMillis: Int64) { self.firstMillis = firstMillis }

        var rate: Double { entries == 0 ? 0 : Double(errors) / Double(entries) }

        /// The baseline share, once the service has run for two windows with enough entries behind the window.
        func baseline(_ c: Configuration) -> Double? {
            guard newest - firstMillis >= 2 * c.windowMillis, historyEntries >= Double(c.minEntries) else { return nil }
            return historyErrors / historyEntries
        }

        func openLevel(baseline b: Double?, _ c: Configuration) -> Double {
            guard let b else { return max(c.openRate, c.warmupRate) }
            return max(c.openRate, b * c.baselineFactor, b + c.baselineLift)
        }

        /// Whether the window's errors are enough, and far enough above the baseline, to count.
        func rateCounts(baseline b: Double?, _ c: Configuration) -> Bool {
            guard entries >= c.minEntries, errors >= c.minErrors else { return false }
            let p = b ?? c.openRate
            let expected = Double(entries) * p
            return Double(errors) > expected + c.significance * (expected * (1 - p)).squareRoot()
        }

        mutating func observe(_ t: Int64, isError: Bool, key: String?, service: String,
                              configuration c: Configuration, nextId: inout Int) -> Incident? {
            // An entry already outside the window (late, out of order) does not count.
            if newest != .min && t <= newest - c.windowMillis { return nil }
            add(t, isError: isError, c)
            var newError = false
            if let key {
                remember(key, t)
                if seen.count < 10_000 || seen[key] != nil {
                    var s = seen[key] ?? (t, 0)
                    s.count += 1
                    seen[key] = s
                    newError = s.count == c.repeatThreshold && t - s.first < c.windowMillis
                }
            }
            let b = baseline(c)
            if episode != nil {
                return advance(t, isError: isError, key: key, baseline: b, c)
            }
            let rateOpen = rateCounts(baseline: b, c) && rate > openLevel(baseline: b, c)
            guard rateOpen || (newError && b != nil && c.repeatThreshold > 0) else { return nil }
            let e = open(id: nextId, kind: rateOpen ? .errorRate : .errorThresholdExceeded, key: rateOpen ? nil : key,
                         service: service, baseline: b, t, c)
            nextId += 1
            episode = e
            return e.incident(configuration: c)
        }

        private mutating func add(_ t: Int64, isError: Bool, _ c: Configuration) {
            if head < buckets.count, buckets[buckets.count - 1].millis == t {
                buckets[buckets.count - 1].entries += 1
                if isError { buckets[buckets.count - 1].errors += 1 }
            } else {
                buckets.append((t, 1, isError ? 1 : 0))
            }
            entries += 1
            if isError { errors += 1 }
            newest = max(newest, t)
            while head < buckets.count && buckets[head].millis <= newest - c.windowMillis {
                let gone = buckets[head]
                entries -= gone.entries
                errors -= gone.errors
                if episode == nil && gone.millis >= absorbAfter { absorb(gone, c) }
                head += 1
            }
            if head > 1024 && head * 2 > buckets.count {
                buckets.removeFirst(head)
                head = 0
            }
        }

        /// Adds what left the window to the history, older history weighing less.
        private mutating func absorb(_ gone: (millis: Int64, entries: Int, errors: Int), _ c: Configuration) {
            if historyMillis != .min, gone.millis > historyMillis {
                let w = exp(-Double(gone.millis - historyMillis) / c.baselineTau)
                historyEntries *= w
                historyErrors *= w
            }
            historyMillis = max(historyMillis, gone.millis)
            historyEntries += Double(gone.entries)
            historyErrors += Double(gone.errors)
        }

        private mutating func remember(_ key: String, _ t: Int64) {
            if recent.count < IncidentDetector.recentErrors {
                recent.append((t, key))
            } else {
                recent[recentNext] = (t, key)
                recentNext = (recentNext + 1) % recent.count
            }
        }

        /// Where the episode's excess of errors over `p` stopped growing in the window: its last bucket at the most.
        func lastExcess(_ p: Double, now t: Int64) -> Int64 {
            var sum = 0.0, most = 0.0
            var end = t
            for k in head..<buckets.count {
                sum += Double(buckets[k].errors) - p * Double(buckets[k].entries)
                if sum > most {
                    most = sum
                    end = buckets[k].millis
                }
            }
            return end
        }

        /// Where the episode began: after the point of the window with the least excess of errors over `p`.
        func onset(_ p: Double, now t: Int64) -> Int64 {
            var sum = 0.0, least = 0.0
            var start = buckets.count > head ? buckets[head].millis : t
            for k in head..<buckets.count {
                sum += Double(buckets[k].errors) - p * Double(buckets[k].entries)
                if sum < least {
                    least = sum
                    start = k + 1 < buckets.count ? buckets[k + 1].millis : t
                }
            }
            return start
        }

        private func open(id: Int, kind: Incident.Kind, key: String?, service: String, baseline b: Double?,
                          _ t: Int64, _ c: Configuration) -> Episode {
            let level = openLevel(baseline: b, c)
            // A little above the baseline, so that the baseline's own ups and downs fall behind the start.
            let reference = b ?? c.openRate
            let start = onset(reference + (level - reference) * 0.25, now: t)
            var e = Episode(id: id, kind: kind, service: service, startMillis: start, detectedMillis: t,
                            excessReference: reference + (level - reference) * 0.25,
                            baseline: b, openLevel: level,
                            resolveLevel: (b ?? c.openRate) + (level - (b ?? c.openRate)) * c.resolveFraction,
                            errors: errors, entries: entries, rateAtDetection: rate, errorKey: key)
            e.severity = kind == .errorThresholdExceeded ? .high : (c.severity(rate: rate) ?? .medium)
            e.peakMillis = t
            e.peakRate = rate
            for r in recent where r.millis >= start { e.patterns[r.key, default: 0] += 1 }
            e.updatedMillis = t
            return e
        }

        /// Counts the entry into the open episode; an update when it escalates or resolves.
        private mutating func advance(_ t: Int64, isError: Bool, key: String?, baseline b: Double?,
                                      _ c: Configuration) -> Incident? {
            guard var e = episode else { return nil }
            e.entries += 1
            e.updatedMillis = t
            if isError { e.errors += 1 }
            if let key { e.patterns[key, default: 0] += 1 }
            let counts = rateCounts(baseline: e.baseline, c)
            if counts, rate > e.peakRate {
                e.peakRate = rate
                e.peakMillis = t
            }
            var escalated = false
            if e.kind == .errorThresholdExceeded, counts, rate > e.openLevel {
                e.kind = .errorRate
                escalated = true
            }
            if counts, e.kind == .errorRate, let s = c.severity(rate: rate), s > e.severity {
                e.severity = s
                escalated = true
            }
            if rate > e.resolveLevel || (e.kind == .errorThresholdExceeded && key == e.errorKey && key != nil) {
                e.belowSince = nil
            } else if e.belowSince == nil {
                e.belowSince = t
                // The window still holds the episode's tail: its end is where the excess stopped growing.
                e.endEstimate = min(t, max(e.startMillis, lastExcess(e.excessReference, now: t)))
            }
            if let below = e.belowSince, t - below >= c.resolveAfter {
                e.endMillis = e.endEstimate ?? below
                e.state = .resolved
                episode = nil
                absorbAfter = t
                return e.incident(configuration: c)
            }
            episode = e
            if escalated {
                e.state = .escalated
                return e.incident(configuration: c)
            }
            return nil
        }
    }
}
