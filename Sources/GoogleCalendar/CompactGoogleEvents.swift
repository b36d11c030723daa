import CalendarModel
import Foundation

/// Google events held as their compact JSON (`FastJSON.compact`), in blocks of bytes, and read
/// back one at a time.
///
/// A decoded `GoogleEvent` takes several times the bytes of its JSON: every optional field is
/// held inline whether set or not, and every string, array and nested resource is an
/// allocation of its own. Where many events are kept and few are read again (the listing a push
/// compares its input with), this form keeps them at about the size Google sent them, or, with
/// a `BlockSealing` that compresses, at a fraction of it.
public struct CompactGoogleEvents: Sendable {
    /// Where one event's JSON lies in its block (as unsealed).
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
    /// The last sealed blocks read, unsealed: readers mostly go in the order the events were
    /// added (the planner through the listing, the sends through the bodies), so most reads
    /// unseal nothing.
    private var recent = RecentBlock()

    /// Bytes of JSON a block holds before it is sealed (an event is never split: the one that
    /// crosses the line ends its block). Small enough that unsealing one to read one event is
    /// cheap, large enough that zlib finds the repeats between events.
    public let blockSize: Int

    public init(sealing: BlockSealing = .none, blockSize: Int = 1 << 14) {
        self.sealing = sealing
        self.blockSize = blockSize
    }

    public var count: Int { spans.count }
    /// Bytes held (sealed blocks as sealed, the open block as it is).
    public var byteCount: Int { sealed.reduce(open.count) { $0 + $1.count } }

    public mutating func append(_ event: GoogleEvent) {
        if open.capacity == 0 { open.reserveCapacity(blockSize + (1 << 12)) }
        let start = open.count
        FastJSON.compact(event, into: &open)
        spans.append(Span(block: UInt32(sealed.count), start: UInt32(start), end: UInt32(open.count)))
        if open.count >= blockSize { seal() }
    }

    private mutating func seal() {
        // A copy that seals blocks of its own numbers them as the other copies do: it stops
        // sharing what they have unsealed.
        if !isKnownUniquelyReferenced(&recent) { recent = RecentBlock() }
        sealed.append(sealing.seal(open))
        sealedLengths.append(open.count)
        open.removeAll(keepingCapacity: true)
    }

    /// The event at `i`, as it was appended.
    public subscript(i: Int) -> GoogleEvent {
        let span = spans[i]
        let b = Int(span.block)
        if b == sealed.count { return Self.decode(open, span) }
        return Self.decode(recent.block(b) { sealing.unseal(sealed[b], sealedLengths[b]) }, span)
    }

    private static func decode(_ block: [UInt8], _ span: Span) -> GoogleEvent {
        block.withUnsafeBufferPointer { all in
            let json = UnsafeBufferPointer(rebasing: all[Int(span.start)..<Int(span.end)])
            if let event = FastJSONReader.event(json) { return event }
            // What the fast reader leaves to JSONDecoder (a free-form value it does not read
            // itself); JSON that FastJSON wrote is JSON that JSONDecoder reads.
            do {
                return try JSONDecoder().decode(GoogleEvent.self, from: Data(json))
            } catch {
                preconditionFailure("an event written as JSON cannot be read back: \(error)")
            }
        }
    }
}

/// How full blocks of `CompactGoogleEvents` are kept: as they are, or compressed by a codec the
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

/// The last few blocks read, unsealed, shared by the copies of a `CompactGoogleEvents`: a few,
/// not one, for readers that go through several blocks at once (a push sends four batches
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
