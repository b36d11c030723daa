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

    init?(buffer: UnsafeBufferPointer<UInt8>, line: Int) {
        guard let p = Property(contentLineBuffer: buffer) else { return nil }
        property = p
        self.line = line
        // The line's name is its bytes before the first `;` or `:`, which the packing reads.
        kind = RawComponentText.packedName(buffer).map(PropertyKind.init(packed:)) ?? .other
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

    /// The kind of a name (as the tokenizer gives it: upper-case).
    init(name: String) {
        var words: (UInt64, UInt64) = (0, 0)
        let u = name.utf8
        guard u.count <= 16 else { self = .other; return }
        for (i, c) in u.enumerated() {
            let b = UInt64(c >= 0x61 && c <= 0x7A ? c - 0x20 : c) << (8 * UInt64(i % 8))
            if i < 8 { words.0 |= b } else { words.1 |= b }
        }
        self.init(packed: words)
    }

    /// The kind of a name packed as `RawComponentText.packedName` packs it.
    init(packed: (UInt64, UInt64)) {
        // Looked up among the names that start with the same letter (at most five).
        let first = Int(packed.0 & 0xFF)
        if first >= 0x41, first <= 0x5A {
            for (words, kind) in Self.byFirstLetter[first - 0x41] where words == packed {
                self = kind
                return
            }
        }
        self = .other
    }

    /// The packed names of the kinds, by their first letter (A to Z).
    private static let byFirstLetter: [[((UInt64, UInt64), PropertyKind)]] = {
        var table = [[((UInt64, UInt64), PropertyKind)]](repeating: [], count: 26)
        for kind in allCases where kind != .other {
            let packed = RawComponentText.packedName(Array((kind.name + ":").utf8))!
            table[Int(packed.0 & 0xFF) - 0x41].append((packed, kind))
        }
        return table
    }()
}
