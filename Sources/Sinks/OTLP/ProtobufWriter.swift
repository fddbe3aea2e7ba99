/// The few protobuf wire-format pieces the OTLP messages need (varint, fixed64, length-delimited), written by
/// hand: swift-protobuf's plugin build takes about ten minutes on the development machine for four messages
/// (docs/otlp.md). A nested message is written into its own writer and appended with its length.
struct ProtobufWriter {
    var bytes: [UInt8] = []

    private mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// A varint field (int32/int64/uint/enum); zero is left out, as proto3 does.
    mutating func varint(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 0)
        varint(value)
    }

    mutating func fixed64(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        tag(field, 1)
        for i in 0..<8 { bytes.append(UInt8(value >> (8 * UInt64(i)) & 0xff)) }
    }

    /// A length-delimited field: string, bytes or an embedded message.
    mutating func bytes<C: Collection>(_ field: Int, _ value: C) where C.Element == UInt8 {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) {
        guard !value.isEmpty else { return }
        bytes(field, Array(value.utf8))
    }

    /// Appends fields written elsewhere (e.g. repeated records gathered before their parent).
    mutating func append(_ other: ProtobufWriter) { bytes.append(contentsOf: other.bytes) }

    mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}
