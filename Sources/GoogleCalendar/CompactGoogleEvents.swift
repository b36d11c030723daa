import CalendarModel
import Foundation

/// Google events held as their compact JSON (`FastJSON.compact`) in `SealedRecords`, and read
/// back one at a time.
///
/// A decoded `GoogleEvent` takes several times the bytes of its JSON: every optional field is
/// held inline whether set or not, and every string, array and nested resource is an
/// allocation of its own. Where many events are kept and few are read again (the listing a push
/// compares its input with), this form keeps them at about the size Google sent them, or, with
/// a `BlockSealing` that compresses, at a fraction of it.
public struct CompactGoogleEvents: Sendable {
    private var records: SealedRecords

    public init(sealing: BlockSealing = .none, blockSize: Int = 1 << 16) {
        records = SealedRecords(sealing: sealing, blockSize: blockSize)
    }

    public var count: Int { records.count }
    /// Bytes held (sealed blocks as sealed, the open block as it is).
    public var byteCount: Int { records.byteCount }
    public var blockSize: Int { records.blockSize }

    public mutating func append(_ event: GoogleEvent) {
        records.append { FastJSON.compact(event, into: &$0) }
    }

    /// The event at `i`, as it was appended.
    public subscript(i: Int) -> GoogleEvent {
        records.withRecord(i) { json in
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
