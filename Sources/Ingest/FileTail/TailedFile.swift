import Foundation
import Pipeline

/// One file being tailed: its descriptor, identity, read position and framer.
final class TailedFile {
    let path: String
    let fd: Int32
    let device: UInt64
    let inode: UInt64
    /// Fingerprint key (set once the file has data).
    var key: String?
    var origin: SourceOrigin
    /// Next byte to read.
    var readOffset: Int64
    /// File offset where the current framer's input starts.
    var framerStart: Int64
    var framer: LineFramer
    var lastDataMillis: Int64
    /// Set when the path no longer names this file (renamed or deleted): read to the end, then release.
    var detachedAt: Int64?
    var released = false
    /// Opened at a position past its end (a copy still being written): until it gets there, shorter is not
    /// truncated.
    var copyInProgress = false
    /// The last batch cut was full: the file is being read faster than lines age (a backlog or a burst).
    var inBurst = false
    /// Found outside the glob (renamed out of it while logpipe was stopped): read to its end, then released.
    var outsideGlob = false

    init(path: String, fd: Int32, device: UInt64, inode: UInt64, offset: Int64, framer: LineFramer, origin: SourceOrigin) {
        self.path = path
        self.fd = fd
        self.device = device
        self.inode = inode
        readOffset = offset
        framerStart = offset
        self.framer = framer
        self.origin = origin
        lastDataMillis = nowMillis()
    }

    deinit { close(fd) }

    /// The durable position a batch taken now would reach.
    var position: SourcePosition? {
        key.map { SourcePosition(key: Fingerprint.positionKey($0, device: device, inode: inode), offset: framerStart + framer.consumed) }
    }
}
