import Foundation
import Pipeline
import SwiftProtobuf

/// An OTLP/HTTP logs request (`POST /v1/logs`) decoded from either encoding, and the answers the specification
/// asks for in the same encoding: `ExportLogsServiceResponse` (with `partial_success` when records were
/// rejected) on success, a `google.rpc.Status` with the reason on failure.
///
/// OTLP/JSON is proto3 JSON with three differences, handled here: trace and span IDs are hex, not base64;
/// enums are numbers (SwiftProtobuf takes both); unknown fields must be ignored.
struct OTLPLogsRequest {
    typealias Export = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest

    enum Encoding: Sendable, Equatable {
        case protobuf, json

        /// By `Content-Type` (`application/x-protobuf`, `application/json`; parameters ignored), nil for others.
        init?(contentType: String?) {
            let type = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            switch type {
            case "application/x-protobuf", "application/protobuf": self = .protobuf
            case "application/json": self = .json
            default: return nil
            }
        }

        var contentType: String { self == .protobuf ? "application/x-protobuf" : "application/json" }
    }

    /// Why a body did not decode, as the reject reason counted and the message answered (400).
    struct Failure: Error, Equatable {
        var reason: String
        var message: String
    }

    let export: Export

    init(body: [UInt8], encoding: Encoding) throws(Failure) {
        do {
            switch encoding {
            case .protobuf:
                export = try Export(serializedBytes: body)
            case .json:
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                var decoded = try Export(jsonUTF8Bytes: body, options: options)
                Self.reinterpretHexIDs(&decoded)
                export = decoded
            }
        } catch let error as BinaryDecodingError {
            throw Failure(reason: error == .invalidUTF8 ? "invalid_utf8" : "invalid_protobuf",
                          message: "the body is not an OTLP ExportLogsServiceRequest in protobuf: \(error)")
        } catch {
            throw Failure(reason: "invalid_json", message: "the body is not an OTLP ExportLogsServiceRequest in OTLP/JSON: \(error)")
        }
    }

    /// OTLP/JSON sends IDs as hex, which proto3 JSON reads as base64: every hex digit is a base64 letter, so the
    /// 32 (16) digits of a trace (span) ID decode without error to 24 (12) bytes, which re-encode to the same
    /// digits. Those lengths are turned back into the digits and read as hex; 16 and 8 bytes (a sender that used
    /// base64) stay as they are.
    static func reinterpretHexIDs(_ export: inout Export) {
        for r in export.resourceLogs.indices {
            for s in export.resourceLogs[r].scopeLogs.indices {
                for l in export.resourceLogs[r].scopeLogs[s].logRecords.indices {
                    let record = export.resourceLogs[r].scopeLogs[s].logRecords[l]
                    if record.traceID.count == 24, let id = hexID(record.traceID) {
                        export.resourceLogs[r].scopeLogs[s].logRecords[l].traceID = id
                    }
                    if record.spanID.count == 12, let id = hexID(record.spanID) {
                        export.resourceLogs[r].scopeLogs[s].logRecords[l].spanID = id
                    }
                }
            }
        }
    }

    private static func hexID(_ misread: Data) -> Data? {
        let digits = Array(misread.base64EncodedString().utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = Data(capacity: digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }

    /// Records in the request.
    var recordCount: Int {
        export.resourceLogs.reduce(0) { $0 + $1.scopeLogs.reduce(0) { $0 + $1.logRecords.count } }
    }

    /// The success answer: `partial_success` set only when something was rejected (or there is a warning).
    static func response(rejected: Int, message: String, encoding: Encoding) -> [UInt8] {
        var response = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceResponse()
        if rejected > 0 || !message.isEmpty {
            response.partialSuccess.rejectedLogRecords = Int64(rejected)
            response.partialSuccess.errorMessage = message
        }
        return serialize(response, encoding)
    }

    /// A failure answer (`google.rpc.Status`; `code` 3 = INVALID_ARGUMENT, 8 = RESOURCE_EXHAUSTED, 14 = UNAVAILABLE).
    static func status(code: Int32, message: String, encoding: Encoding) -> [UInt8] {
        var status = Google_Rpc_Status()
        status.code = code
        status.message = message
        return serialize(status, encoding)
    }

    private static func serialize(_ message: some SwiftProtobuf.Message, _ encoding: Encoding) -> [UInt8] {
        // Serializing a message built here cannot fail (no Any fields, no required fields).
        switch encoding {
        case .protobuf: return (try? message.serializedBytes()) ?? []
        case .json: return (try? message.jsonUTF8Bytes()) ?? Array("{}".utf8)
        }
    }
}
