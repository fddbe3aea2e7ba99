import Ingest
import Pipeline

extension InputSpec {
    /// The source this input names, configured for the run (`lowLatency`: cut a batch whenever the input is
    /// caught up, for the urgent path). File inputs share one checkpoint store.
    func makeSource(settings: RunOptions.Resolved, pool: BufferPool, lowLatency: Bool,
                    checkpoints: () throws -> CheckpointStore) throws -> Source {
        switch self {
        case .stdin:
            let source = StreamSource(fd: 0, origin: SourceOrigin(name: "stdin", sessionId: RunPipeline.newSessionId()),
                                      options: settings.framing)
            source.pool = pool
            source.cutWhenCaughtUp = lowLatency
            return source
        case let .udp(host, port):
            let source: UDPSource
            do { source = try UDPSource(host: host, port: port, options: settings.framing) } catch {
                throw RuntimeFailure("\(error)") // a busy port or unknown host is a runtime failure (exit 1)
            }
            source.pool = pool
            source.cutWhenCaughtUp = lowLatency
            return source
        case let .tcp(host, port, tls):
            let network = settings.network // resolve() made sure a tls:// input has its files
            do {
                return try SyslogTCPInput.makeSource(host: host, port: port, tls: tls ? network.tls : nil,
                                                     limits: network.limits, pool: pool)
            } catch { throw RuntimeFailure("\(error)") } // a busy port or bad TLS files: exit 1
        case let .forward(host, port):
            do {
                return try ForwardInput.makeSource(host: host, port: port, limits: settings.network.limits, pool: pool)
            } catch { throw RuntimeFailure("\(error)") }
        case let .http(host, port, path, tls):
            let network = settings.network // resolve() made sure an https:// input has its files
            do {
                return try HTTPInput.ndjson(host: host, port: port, path: path, options: network.http(tls: tls, settings.framing))
            } catch { throw RuntimeFailure("\(error)") }
        case let .otlp(host, port):
            do {
                return try HTTPInput.otlp(host: host, port: port, options: settings.network.http(tls: false, settings.framing))
            } catch { throw RuntimeFailure("\(error)") }
        case let .file(pattern):
            let source = try FileTailSource(pattern: pattern, options: settings.framing, tail: settings.tail,
                                            sessionId: RunPipeline.newSessionId(), checkpoints: try checkpoints())
            source.pool = pool
            return source
        }
    }
}
