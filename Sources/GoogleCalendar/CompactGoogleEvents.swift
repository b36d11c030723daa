import Foundation

/// Google events held as their compact JSON (`FastJSON.compact`), in blocks of bytes, and read
/// back one at a time.
///
/// A decoded `GoogleEvent` takes several times the bytes of its JSON: every optional field is
/// held inline whether set or not, and every string, array and nested resource is an
/// allocation of its own. Where many events are kept and few are read again (the listing a push
/// compares its input with), this form keeps them at about the size Google sent them.
public struct CompactGoogleEvents: Sendable {
    /// Where one event's JSON lies.
    private struct Span: Sendable {
        var block: UInt32
        var start: UInt32
        var end: UInt32
    }

    private var blocks: [[UInt8]] = []
    private var spans: [Span] = []

    /// Bytes a block is made for. Blocks, not one growing buffer: a buffer that doubles holds
    /// up to twice its content while it is copied, and up to half of it unused afterwards.
    static let blockCapacity = 1 << 22
    /// A new block is begun when less than this is left in the current one (an event larger
    /// than what is left grows its block; one event never spans two).
    static let blockReserve = 1 << 16

    public init() {}

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }
    /// Bytes of JSON held.
    public var byteCount: Int { blocks.reduce(0) { $0 + $1.count } }

    public mutating func append(_ event: GoogleEvent) {
        if blocks.isEmpty || blocks[blocks.count - 1].capacity - blocks[blocks.count - 1].count < Self.blockReserve {
            var block: [UInt8] = []
            block.reserveCapacity(Self.blockCapacity)
            blocks.append(block)
        }
        let b = blocks.count - 1
        let start = blocks[b].count
        FastJSON.compact(event, into: &blocks[b])
        spans.append(Span(block: UInt32(b), start: UInt32(start), end: UInt32(blocks[b].count)))
    }

    /// The event at `i`, as it was appended.
    public subscript(i: Int) -> GoogleEvent {
        let span = spans[i]
        return blocks[Int(span.block)].withUnsafeBufferPointer { block in
            let json = UnsafeBufferPointer(rebasing: block[Int(span.start)..<Int(span.end)])
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
