import Pipeline

/// A UDP socket as a topology ``Source``: no positions (a datagram cannot be asked for again); what the kernel
/// drops is counted and reported.
extension UDPSource: Source {
    public var name: String { "udp://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    public var exitSummary: String? { summary }

    public var gauges: [SourceGauge] {
        let u = liveStats
        let address = [("address", "\(host):\(boundPort)")]
        return [SourceGauge("logpipe_udp_datagrams_total", labels: address, Double(u.datagrams)),
                SourceGauge("logpipe_udp_malformed_datagrams_total", labels: address, Double(u.malformed)),
                SourceGauge("logpipe_udp_kernel_drops_total", labels: address, Double(u.kernelDrops))]
    }
}
