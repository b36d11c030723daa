import CalendarModel

/// A content line of the input and the line it started on.
struct ContentLine {
    var property: Property
    var line: Int
    /// What the name is, among the names the reader and the event decoder act on.
    let kind: PropertyKind

    var name: String { property.name }
    var parameters: [Parameter] { property.parameters }
    var value: String { property.value }

    func parameter(_ name: String) -> String? {
        property.parameters.first { $0.name == name }?.value
    }

    /// calport's own tokenizer (see `Property.init(contentLine:)`): libical 3.0 unescapes X-
    /// values, re-quotes parameter lists and drops unknown IANA properties, so verbatim
    /// preservation cannot go through it.
    init?(_ text: String, line: Int) {
        guard let p = Property(contentLine: text) else { return nil }
        property = p
        self.line = line
        kind = PropertyKind(name: p.name)
    }

    /// The same from the line's UTF-8 bytes.
    init?(bytes: [UInt8], line: Int) {
        guard let p = Property(contentLineBytes: bytes) else { return nil }
        property = p
        self.line = line
        kind = PropertyKind(name: p.name)
    }

    /// The same from bytes in memory. The name is recognised on its bytes first, and a name
    /// with a kind is its constant String: building each line's name from its bytes was a
    /// tenth of tokenising.
    init?(buffer: UnsafeBufferPointer<UInt8>, line: Int) {
        guard let end = Property.nameEnd(buffer) else { return nil }
        let kind = Self.packedName(buffer, nameEnd: end).map(PropertyKind.init(packed:)) ?? .other
        let p = kind == .other ? Property(contentLineBuffer: buffer) : Property(name: kind.name, contentLineBuffer: buffer, nameEnd: end)
        guard let p else { return nil }
        property = p
        self.line = line
        self.kind = kind
    }
}

extension ContentLine {
    /// `RawComponentText.packedName(u)` for a line whose name, `u[..<nameEnd]`, is known to be
    /// name bytes ending at its first `;` or `:` (`Property.nameEnd`): packed without looking
    /// for the end again.
    static func packedName(_ u: UnsafeBufferPointer<UInt8>, nameEnd: Int) -> (UInt64, UInt64)? {
        guard nameEnd > 0, nameEnd <= 16 else { return nil }
        return RawComponentText.packed(UnsafeBufferPointer(rebasing: u[..<nameEnd]))
    }
}

/// The property names the component scanner and the event decoder act on. A line's is
/// recognised once, from its name packed in two words, so that these steps tell names apart by
/// an integer: comparing strings, each ATTENDEE line of a VEVENT went through a dozen string
/// comparisons and a hash of its name.
enum PropertyKind: UInt8, CaseIterable {
    // A VEVENT's typed properties (`EventDecoder`), whose raw values are below 32.
    case uid, recurrenceID, dtstart, dtend, duration, summary, description, location, status, transp
    case classification, sequence, priority, created, lastModified, dtstamp, organizer, attendee
    case rrule, exrule, rdate, exdate, url, categories, color, attach
    case begin, end, trigger, `repeat`
    /// Any other name.
    case other

    var name: String {
        switch self {
        case .uid: "UID"
        case .recurrenceID: "RECURRENCE-ID"
        case .dtstart: "DTSTART"
        case .dtend: "DTEND"
        case .duration: "DURATION"
        case .summary: "SUMMARY"
        case .description: "DESCRIPTION"
        case .location: "LOCATION"
        case .status: "STATUS"
        case .transp: "TRANSP"
        case .classification: "CLASS"
        case .sequence: "SEQUENCE"
        case .priority: "PRIORITY"
        case .created: "CREATED"
        case .lastModified: "LAST-MODIFIED"
        case .dtstamp: "DTSTAMP"
        case .organizer: "ORGANIZER"
        case .attendee: "ATTENDEE"
        case .rrule: "RRULE"
        case .exrule: "EXRULE"
        case .rdate: "RDATE"
        case .exdate: "EXDATE"
        case .url: "URL"
        case .categories: "CATEGORIES"
        case .color: "COLOR"
        case .attach: "ATTACH"
        case .begin: "BEGIN"
        case .end: "END"
        case .trigger: "TRIGGER"
        case .repeat: "REPEAT"
        case .other: ""
        }
    }

    /// A bit of its own, for sets of kinds.
    var bit: UInt64 { 1 << UInt64(rawValue) }

    /// The kind of a name as the tokenizer gives it (upper-case ASCII): its bytes copied into
    /// two words as `RawComponentText.packedName` packs them.
    init(name: String) {
        var words: (UInt64, UInt64) = (0, 0)
        var name = name
        let fits = name.withUTF8 { u -> Bool in
            guard !u.isEmpty, u.count <= 16 else { return false }
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: UnsafeRawBufferPointer(u)) }
            return true
        }
        self = fits ? PropertyKind(packed: (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1))) : .other
    }

    /// The kind of a name packed as `RawComponentText.packedName` packs it.
    init(packed: (UInt64, UInt64)) {
        let slot = Self.slots[Self.slot(packed.0)]
        self = slot.words == packed ? slot.kind : .other
    }

    /// The kinds by their packed names, each in its own of 64 slots, placed by a multiplicative
    /// hash of the first word (no two of the names share their first eight bytes).
    private static let slots: [(words: (UInt64, UInt64), kind: PropertyKind)] = {
        var slots = [(words: (UInt64, UInt64), kind: PropertyKind)](repeating: ((0, 0), .other), count: 64)
        for kind in allCases where kind != .other {
            let words = RawComponentText.packedName(kind.name)!
            precondition(slots[slot(words.0)].kind == .other, "two property kinds share a slot")
            slots[slot(words.0)] = (words, kind)
        }
        return slots
    }()

    /// Found by trying multipliers (odd multiples of 2^64 / phi) until the names' slots differ;
    /// `slots` checks it when it is built, and `PropertyKindTests` for every kind.
    private static let multiplier: UInt64 = 0xD545_C393_02A3_B0F9

    private static func slot(_ firstWord: UInt64) -> Int { Int(truncatingIfNeeded: (firstWord &* multiplier) >> 58) }
}
