import Crypto
import CalendarModel
import Foundation
import GoogleCalendar

/// Which event of the input a Google event stands for: its UID, plus the original start of the
/// occurrence for an override (RECURRENCE-ID) or a cancelled occurrence. Original starts are
/// compared as instants (UTC `yyyyMMddTHHmmssZ`) or dates (`yyyyMMdd`), never as strings with
/// offsets, since Google rewrites offsets.
public struct EventKey: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var uid: String
    /// Nil for a series or a single event.
    public var instance: String?

    public init(uid: String, instance: String? = nil) {
        self.uid = uid
        self.instance = instance
    }

    public var isInstance: Bool { instance != nil }
    public var series: EventKey { EventKey(uid: uid) }

    public var description: String { instance.map { "\(uid) @ \($0)" } ?? uid }

    public static func < (a: EventKey, b: EventKey) -> Bool {
        (a.uid, a.instance ?? "") < (b.uid, b.instance ?? "")
    }

    /// The key of a Google event that carries its iCalUID (nil for tombstones, which do not).
    init?(_ g: GoogleEvent) {
        guard let uid = g.iCalUID, !uid.isEmpty else { return nil }
        if let original = g.originalStartTime {
            guard let stamp = Self.stamp(original) else { return nil }
            self.init(uid: uid, instance: stamp)
        } else {
            self.init(uid: uid)
        }
    }

    /// `yyyyMMdd` for a date, the UTC instant `yyyyMMddTHHmmssZ` for a date-time.
    public static func stamp(_ t: EventDateTime) -> String? {
        if let d = t.date { return d.replacingOccurrences(of: "-", with: "") }
        guard let s = t.dateTime, let seconds = instant(s, zone: t.timeZone) else { return nil }
        return EventTime.utc(LocalDateTime(secondsSinceEpoch: seconds)).icalValue
    }

    /// Seconds since the epoch of a `stamp`: the instant, or midnight UTC of the date.
    static func seconds(ofStamp stamp: String) -> Int? {
        switch EventTime(icalValue: stamp, tzid: nil) {
        case .date(let d)?: return d.daysSinceEpoch * 86_400
        case .utc(let t)?: return t.secondsSinceEpoch
        default: return nil
        }
    }

    /// Seconds since the epoch of an RFC 3339 date-time; one without an offset is read in `zone`.
    static func instant(_ s: String, zone: String?) -> Int? {
        EventDateTime(dateTime: s, timeZone: zone).instant
    }
}

/// Event ids calport chooses for `--mode insert`: base32hex (Google's alphabet `0-9a-v`) of
/// SHA-256 over the calendar, the UID and the occurrence, so the same event always gets the
/// same id and a second run meets it (409, or a listing) instead of adding a copy.
public enum StableEventID {
    public static func make(calendarId: String, key: EventKey) -> String {
        let digest = SHA256Digest.hash(Array("calport-push\u{0}\(calendarId)\u{0}\(key.uid)\u{0}\(key.instance ?? "")".utf8))
        return base32hex(digest)
    }

    /// RFC 4648 base32hex, lower case, no padding: 52 characters for 32 bytes.
    static func base32hex(_ bytes: [UInt8]) -> String { OfflineEventID.base32hex(bytes) }

    /// Whether `id` is a valid client-chosen event id (base32hex, 5 to 1024 characters).
    static func isValid(_ id: String) -> Bool { OfflineEventID.isValidClientID(id) }
}

/// SHA-256 (swift-crypto), for event ids, the journal's input identity and lock names.
enum SHA256Digest {
    static func hash(_ message: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: message)) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The hash of a message fed in parts (the same as `hash` of the parts joined), so that a
    /// large message need not be held whole.
    struct Running {
        private var hasher = SHA256()
        mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 { hasher.update(data: Array(bytes)) }
        func finish() -> [UInt8] { Array(hasher.finalize()) }
    }
}
