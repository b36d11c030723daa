import CalendarModel
import Crypto

/// The `id` and `recurringEventId` calport gives events in JSON it writes offline (`convert`),
/// so that a reader that follows Google's documentation links an override to its series by
/// `recurringEventId` + `originalStartTime`, as Google does.
///
/// No calendar is known offline, so the id comes from the UID alone: base32hex (Google's
/// alphabet, `0-9a-v`) of SHA-256 over `calport-offline`, a NUL and the UID: 52 characters,
/// valid for `events.import` and `events.insert`. An occurrence is named as Google names
/// instances: `<series id>_<original start>`, the start as a UTC `yyyyMMddTHHmmssZ`, or
/// `yyyyMMdd` for an all-day series. `push` does not send these ids (it chooses its own per
/// calendar), and reading JSON they do not become `X-GOOGLE-ID`: they are calport's, not Google's.
public enum OfflineEventID {
    public static func series(uid: String) -> String {
        // Hashed in two updates and encoded from the digest's own bytes: one per event in every
        // conversion, where building the message and the digest as arrays cost as much as SHA-256.
        var hasher = SHA256()
        hasher.update(data: prefix)
        var uid = uid
        uid.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        return hasher.finalize().withUnsafeBytes { base32hex($0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// What the UID is hashed after.
    private static let prefix: [UInt8] = Array("calport-offline\u{0}".utf8)

    /// The instance of `uid`'s series that starts at `original`; nil when that start names no
    /// instant (a floating or unresolved time).
    public static func instance(uid: String, original: EventTime) -> String? {
        let stamp: String
        switch original {
        case .date(let d): stamp = d.basicFormat
        case .utc(let l): stamp = l.basicFormat + "Z"
        case .zoned(let l, _, let offset?): stamp = l.adding(seconds: -offset).basicFormat + "Z"
        case .zoned, .floating: return nil
        }
        return series(uid: uid) + "_" + stamp
    }

    /// Whether `id` is one of these for `uid` (the series' or one of its instances').
    public static func isOffline(_ id: String, uid: String) -> Bool {
        isOffline(id, series: series(uid: uid))
    }

    /// Whether `id` is `series` (`series(uid:)` of a UID) or one of its instances'.
    public static func isOffline(_ id: String, series s: String) -> Bool {
        id == s || (id.hasPrefix(s + "_") && id.count > s.count + 8)
    }

    /// Whether Google takes `id` as a client-chosen event id: base32hex, 5 to 1024 characters.
    public static func isValidClientID(_ id: String) -> Bool {
        (5...1024).contains(id.utf8.count) && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x76).contains($0) }
    }

    /// RFC 4648 base32hex, lower case, no padding.
    public static func base32hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { base32hex($0) }
    }

    /// `base32hex` of bytes in memory, written straight into the string's storage.
    static func base32hex(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let alphabet: StaticString = "0123456789abcdefghijklmnopqrstuv"
        let digits = alphabet.utf8Start
        return String(unsafeUninitializedCapacity: (bytes.count * 8 + 4) / 5) { out in
            var n = 0
            var buffer = 0, bits = 0
            for b in bytes {
                buffer = (buffer << 8) | Int(b)
                bits += 8
                while bits >= 5 {
                    out[n] = digits[(buffer >> (bits - 5)) & 31]
                    n += 1
                    bits -= 5
                }
                buffer &= (1 << bits) - 1
            }
            if bits > 0 {
                out[n] = digits[(buffer << (5 - bits)) & 31]
                n += 1
            }
            return n
        }
    }
}
