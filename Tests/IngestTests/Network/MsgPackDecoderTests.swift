import Testing
@testable import Ingest

/// The MessagePack decoder: values, incomplete input (wait), invalid input (stop), and lengths never trusted.
@Suite struct MsgPackDecoderTests {
    private func decode(_ bytes: [UInt8]) -> Result<MsgPackValue, MsgPackDecoder.Failure> {
        bytes.withUnsafeBufferPointer { b in
            var d = MsgPackDecoder(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count)
            do { return .success(try d.next()) } catch { return .failure(error as! MsgPackDecoder.Failure) }
        }
    }

    @Test func decodesTheForwardShapes() throws {
        // ["t", 1700000000, {"a": -1, "b": [true, nil, 1.5]}]
        let bytes: [UInt8] = [0x93, 0xa1, 0x74, 0xce, 0x65, 0x53, 0xf1, 0x00, 0x82, 0xa1, 0x61, 0xff, 0xa1, 0x62,
                              0x93, 0xc3, 0xc0, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]
        let expected = MsgPackValue.array([.string([0x74]), .uint(1_700_000_000),
                                           .map([(.string([0x61]), .int(-1)),
                                                 (.string([0x62]), .array([.bool(true), .null, .double(1.5)]))])])
        #expect(try decode(bytes).get() == expected)
    }

    @Test func everyPrefixIsIncompleteNotInvalid() {
        let bytes: [UInt8] = [0x92, 0xd9, 0x03, 0x61, 0x62, 0x63, 0xd7, 0x00, 1, 2, 3, 4, 5, 6, 7, 8]
        for n in 0..<bytes.count { #expect(decode(Array(bytes[..<n])) == .failure(.incomplete), "prefix \(n)") }
        #expect((try? decode(bytes).get()) != nil)
    }

    @Test func hugeClaimedLengthsAllocateNothing() {
        #expect(decode([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]) == .failure(.incomplete)) // array of 4 billion
        #expect(decode([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61]) == .failure(.incomplete)) // string of 2 GiB
        #expect(decode([0xdf, 0x00, 0x00, 0xff, 0xff]) == .failure(.incomplete))
    }

    @Test func reservedBytesAndDeepNestingAreInvalid() {
        #expect(decode([0xc1]) == .failure(.invalid("reserved type byte 0xc1")))
        let deep = [UInt8](repeating: 0x91, count: 40) + [0x01]
        guard case .failure(.invalid) = decode(deep) else { Issue.record("nesting of 40 accepted"); return }
    }
}
