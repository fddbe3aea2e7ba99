/// `["compliance", 1700000000, {"message": TEXT, "level": "ERROR"}]` in MessagePack: one Fluentd forward
/// Message-mode message, for tests that speak the protocol without a client library.
public func forwardMessage(_ text: String) -> [UInt8] {
    func str(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return (b.count < 32 ? [0xa0 | UInt8(b.count)] : [0xd9, UInt8(b.count)]) + b
    }
    return [0x93] + str("compliance") + [0xce, 0x65, 0x53, 0xf1, 0x00] + [0x82] + str("message") + str(text)
        + str("level") + str("ERROR")
}
