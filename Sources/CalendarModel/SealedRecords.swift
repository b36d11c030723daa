/// Records of bytes kept in blocks, full blocks sealed (compressed, by a codec the caller
/// brings), and read back one at a time.
///
/// The store under `CompactGoogleEvents` (a push's listing and request bodies, as JSON) and a
/// push's input events (`EventCoding`): where many values are kept and each is read again
/// once or twice, a decoded Swift value takes several times the bytes of its encoding (every
/// optional field inline whether set or not, every string and array an allocation of its own),
/// and sealed blocks a fraction of that again.
public struct SealedRecords: Sendable {
    /// Where one record lies in its block (as unsealed).
    private struct Span: Sendable {
        var block: UInt32
        var start: UInt32
        var end: UInt32
    }

    /// Full blocks, as `sealing` made them, and the length of each unsealed.
    private var sealed: [[UInt8]] = []
    private var sealedLengths: [Int] = []
    /// The block being filled.
    private var open: [UInt8] = []
    private var spans: [Span] = []
    private let sealing: BlockSealing
    /// The last sealed blocks read, unsealed: readers mostly go in the order the records were
    /// added (a push's planner through its input and the listing, the sends through the
    /// bodies), so most reads unseal nothing.
    private var recent = RecentBlock()

    /// Bytes a block holds before it is sealed (a record is never split: the one that crosses
    /// the line ends its block). Small enough that unsealing one to read one record is cheap,
    /// large enough that a compressing codec finds the repeats between records: 64 KB blocks
    /// took a push's re-run of 100,000 heavy events from 288 to 256 MiB against 16 KB ones
    /// (BENCHMARKS.md); readers mostly go in order, so each block is unsealed about once.
    public let blockSize: Int

    public init(sealing: BlockSealing = .none, blockSize: Int = 1 << 16) {
        self.sealing = sealing
        self.blockSize = blockSize
    }

    public var count: Int { spans.count }
    /// Bytes held (sealed blocks as sealed, the open block as it is).
    public var byteCount: Int { sealed.reduce(open.count) { $0 + $1.count } }

    /// Adds one record, the bytes `write` appends to the buffer it is given (which holds other
    /// records before them: `write` only appends). Returns the record's index.
    @discardableResult
    public mutating func append(_ write: (inout [UInt8]) throws -> Void) rethrows -> Int {
        if open.capacity == 0 { open.reserveCapacity(blockSize + (1 << 12)) }
        let start = open.count
        do { try write(&open) } catch {
            open.removeSubrange(start...)
            throw error
        }
        spans.append(Span(block: UInt32(sealed.count), start: UInt32(start), end: UInt32(open.count)))
        if open.count >= blockSize { seal() }
        return spans.count - 1
    }

    private mutating func seal() {
        // A copy that seals blocks of its own numbers them as the other copies do: it stops
        // sharing what they have unsealed.
        if !isKnownUniquelyReferenced(&recent) { recent = RecentBlock() }
        sealed.append(sealing.seal(open))
        sealedLengths.append(open.count)
        open.removeAll(keepingCapacity: true)
    }

    /// Reads record `i`: `read` gets its bytes, valid only during the call.
    public func withRecord<R>(_ i: Int, _ read: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let span = spans[i]
        let b = Int(span.block)
        let block = b == sealed.count ? open : recent.block(b) { sealing.unseal(sealed[b], sealedLengths[b]) }
        return try block.withUnsafeBufferPointer { all in try read(UnsafeBufferPointer(rebasing: all[Int(span.start)..<Int(span.end)])) }
    }
}

/// How full blocks of `SealedRecords` are kept: as they are, or compressed by a codec the
/// caller brings (calport's zlib lives with CalPort).
public struct BlockSealing: Sendable {
    public var seal: @Sendable ([UInt8]) -> [UInt8]
    /// The block `seal` made, back as it was; `length` is its length then.
    public var unseal: @Sendable ([UInt8], _ length: Int) -> [UInt8]

    public init(seal: @escaping @Sendable ([UInt8]) -> [UInt8], unseal: @escaping @Sendable ([UInt8], _ length: Int) -> [UInt8]) {
        self.seal = seal
        self.unseal = unseal
    }

    /// Kept as they are (each copied to its own size).
    public static let none = BlockSealing(seal: { Array($0[...]) }, unseal: { block, _ in block })
}

/// The last few blocks read, unsealed, shared by the copies of a `SealedRecords`: a few, not
/// one, for readers that go through several blocks at once (a push sends four batches
/// concurrently, each reading its bodies in order).
private final class RecentBlock: @unchecked Sendable {
    private let lock = Lock()
    private var kept: [(index: Int, bytes: [UInt8])] = []
    private var next = 0
    static let slots = 8

    /// Block `block`, unsealed (kept until `slots` others have been asked for).
    func block(_ block: Int, unsealing: () -> [UInt8]) -> [UInt8] {
        lock.withLock {
            if let hit = kept.first(where: { $0.index == block }) { return hit.bytes }
            let bytes = unsealing()
            if kept.count < Self.slots {
                kept.append((block, bytes))
            } else {
                kept[next] = (block, bytes)
                next = (next + 1) % Self.slots
            }
            return bytes
        }
    }
}
