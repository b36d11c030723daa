/// RFC 5545 content-line syntax (section 3.1), shared by the iCalendar reader and by the
/// Google mapping, whose `recurrence` field holds iCalendar lines.
extension Property {
    /// Parses an unfolded content line `NAME;PARAM=a,"b:c":value`; nil when it has no
    /// `name:` shape. The name is upper-cased, parameter values lose their quotes, the value
    /// is kept exactly.
    public init?(contentLine text: String) {
        var text = text
        guard let p = text.withUTF8({ Property(contentLineUTF8: $0) }) else { return nil }
        self = p
    }

    /// `init(contentLine:)` on the line's UTF-8 bytes.
    public init?(contentLineBytes bytes: [UInt8]) {
        guard let p = bytes.withUnsafeBufferPointer({ Property(contentLineUTF8: $0) }) else { return nil }
        self = p
    }

    /// `init(contentLine:)` on bytes in memory.
    public init?(contentLineBuffer u: UnsafeBufferPointer<UInt8>) {
        guard let p = Property(contentLineUTF8: u) else { return nil }
        self = p
    }

    /// `init(contentLine: name + rest)` for a `name` that is already as the line's name is read
    /// (upper-case ASCII letters, digits, `-`, `_`, not empty), without joining the two: the
    /// name is kept, and `rest` is read from its first byte, which must be `;` or `:` (else nil).
    public init?(name: String, contentLineAfterName rest: String) {
        guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }) else {
            return nil
        }
        var rest = rest
        guard let p = rest.withUTF8({ u -> Property? in
            guard let first = u.first, first == UInt8(ascii: ";") || first == UInt8(ascii: ":") else { return nil }
            return Property(name: name, contentLineUTF8: u, from: 0)
        }) else { return nil }
        self = p
    }

    private init?(contentLineUTF8 u: UnsafeBufferPointer<UInt8>) {
        guard let end = Property.nameEnd(u) else { return nil }
        self.init(name: Property.upperName(u, 0..<end), contentLineUTF8: u, from: end)
    }

    /// Where the name of a content line in `u` ends: at its first `;` or `:`, after one or more
    /// name bytes; nil when the line has no such name.
    public static func nameEnd(_ u: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        while i < u.count, Property.isNameByte(u[i]) { i += 1 }
        guard i > 0, i < u.count, u[i] == UInt8(ascii: ";") || u[i] == UInt8(ascii: ":") else { return nil }
        return i
    }

    /// `init(contentLineBuffer: u)` for a line whose name ends at `nameEnd` (`nameEnd(u)`), and
    /// reads `name` (its bytes upper-cased), given by the caller: a reader that recognises
    /// the names it knows from their bytes gives their constant Strings, not new ones.
    public init?(name: String, contentLineBuffer u: UnsafeBufferPointer<UInt8>, nameEnd: Int) {
        self.init(name: name, contentLineUTF8: u, from: nameEnd)
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    /// Names are ASCII letters, digits, `-` and `_`: upper-cased byte by byte.
    private static func upperName(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(unsafeUninitializedCapacity: r.count) { out in
            for (k, j) in r.enumerated() {
                let b = u[j]
                out[k] = b >= 0x61 && b <= 0x7A ? b - 0x20 : b
            }
            return r.count
        }
    }

    /// The parameter names nearly every line with parameters has, by their bytes packed into a
    /// word as `commonParameterName` packs them (`CN` is 0x4E43). A switch on constants, not a
    /// table: a static table is reached through a call to `swift_once` at every use on Linux.
    /// `TokenizerNamesTests` reads each in every case.
    static let commonParameterNames = ["CN", "ROLE", "PARTSTAT", "RSVP", "CUTYPE", "TZID", "VALUE", "RELATED", "ENCODING",
                                       "FMTTYPE", "LANGUAGE", "ALTREP"]

    /// The constant String of a common parameter name (`u[r]`, name bytes, upper-cased), not
    /// one built from the bytes for each attendee; nil for any other name.
    static func commonParameterName(_ u: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String? {
        guard r.count <= 8 else { return nil }
        var packed: UInt64 = 0
        var j = r.upperBound
        while j > r.lowerBound {
            j -= 1
            let b = u[j]
            packed = packed << 8 | UInt64(b >= 0x61 && b <= 0x7A ? b - 0x20 : b)
        }
        switch packed {
        case 0x4E43: return "CN"
        case 0x454C_4F52: return "ROLE"
        case 0x5441_5453_5452_4150: return "PARTSTAT"
        case 0x5056_5352: return "RSVP"
        case 0x4550_5954_5543: return "CUTYPE"
        case 0x4449_5A54: return "TZID"
        case 0x45_554C_4156: return "VALUE"
        case 0x44_4554_414C_4552: return "RELATED"
        case 0x474E_4944_4F43_4E45: return "ENCODING"
        case 0x45_5059_5454_4D46: return "FMTTYPE"
        case 0x4547_4155_474E_414C: return "LANGUAGE"
        case 0x5045_5254_4C41: return "ALTREP"
        default: return nil
        }
    }

    /// The parameters and value of a line whose name, `name`, ends before `start`.
    private init?(name: String, contentLineUTF8 u: UnsafeBufferPointer<UInt8>, from start: Int) {
        var i = start
        func isNameByte(_ b: UInt8) -> Bool { Property.isNameByte(b) }
        func upperName(_ r: Range<Int>) -> String { Property.upperName(u, r) }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: u[r]), as: UTF8.self) }
        var parameters: [Parameter] = []
        // Room for an attendee's usual four or five at once, not grown one by one.
        if i < u.count, u[i] == UInt8(ascii: ";") { parameters.reserveCapacity(6) }
        while i < u.count, u[i] == UInt8(ascii: ";") {
            i += 1
            let ns = i
            while i < u.count, isNameByte(u[i]) { i += 1 }
            guard i > ns, i < u.count, u[i] == UInt8(ascii: "=") else { return nil }
            let pname = Property.commonParameterName(u, ns..<i) ?? upperName(ns..<i)
            i += 1
            // The first value apart: most parameters have only it, and need no list.
            var first: String?
            var values: [String] = []
            while true {
                let v: String
                if i < u.count, u[i] == UInt8(ascii: "\"") {
                    let vs = i + 1
                    i = vs
                    while i < u.count, u[i] != UInt8(ascii: "\"") { i += 1 }
                    guard i < u.count else { return nil }
                    v = text(vs..<i)
                    i += 1
                } else {
                    let vs = i
                    while i < u.count, u[i] != UInt8(ascii: ","), u[i] != UInt8(ascii: ";"), u[i] != UInt8(ascii: ":") {
                        i += 1
                    }
                    v = text(vs..<i)
                }
                if let f = first {
                    if values.isEmpty { values.append(f) }
                    values.append(v)
                } else {
                    first = v
                }
                if i < u.count, u[i] == UInt8(ascii: ",") { i += 1; continue }
                break
            }
            parameters.append(values.isEmpty ? Parameter(pname, first!) : Parameter(name: pname, values: values))
        }
        guard i < u.count, u[i] == UInt8(ascii: ":") else { return nil }
        self.init(name: name, parameters: parameters, value: text((i + 1)..<u.count))
    }

    /// The content line (unfolded). Parameter values with `:`, `;` or `,` are quoted.
    public var contentLine: String {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + value.utf8.count + 16 * parameters.count + 1)
        appendContentLine(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// The content line after the name: `;PARAM=value:value`.
    public var contentLineAfterName: String {
        // Most carried lines have no parameters: `:` and the value joined as Strings, without
        // a buffer of bytes to check again, and a short one needs no allocation at all.
        if parameters.isEmpty { return ":" + value }
        var out: [UInt8] = []
        out.reserveCapacity(value.utf8.count + 16 * parameters.count + 1)
        appendContentLine(to: &out, withName: false)
        return String(decoding: out, as: UTF8.self)
    }

    /// `contentLine`'s bytes appended to `out` (without the name when `withName` is false).
    public func appendContentLine(to out: inout [UInt8], withName: Bool = true) {
        func add(_ s: String) {
            var s = s
            s.withUTF8 { out.append(contentsOf: $0) }
        }
        if withName { add(name) }
        for p in parameters {
            out.append(UInt8(ascii: ";"))
            add(p.name)
            out.append(UInt8(ascii: "="))
            func addValue(_ v: String) {
                // Only a value with `"`, `:`, `;` or `,` changes (see `quoteIfNeeded`).
                if v.utf8.contains(where: { $0 == 0x22 || $0 == 0x3A || $0 == 0x3B || $0 == 0x2C }) {
                    add(Property.quoteIfNeeded(v))
                } else {
                    add(v)
                }
            }
            if let v = p.singleValue {
                addValue(v)
            } else {
                for (k, v) in p.values.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    addValue(v)
                }
            }
        }
        out.append(UInt8(ascii: ":"))
        add(value)
    }

    public static func quoteIfNeeded(_ v: String) -> String {
        // Most values (a name, an address) hold none of the four: one pass over the bytes.
        if !v.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ",") }) {
            return v
        }
        var v = v
        if v.contains("\"") {
            var out = ""
            for c in v { if c == "\"" { out += "^'" } else { out.append(c) } }
            v = out
        }
        if v.contains(where: { $0 == ":" || $0 == ";" || $0 == "," }) { return "\"" + v + "\"" }
        return v
    }
}

extension EventTime {
    /// Parses one iCalendar DATE or DATE-TIME value (`20240102`, `20240102T090000`,
    /// `20240102T090000Z`) with the property's TZID. The offset of a zoned time is left nil.
    public init?(icalValue raw: String, tzid: String?) {
        let v = Array(raw.utf8)
        func num(_ r: Range<Int>) -> Int? {
            var n = 0
            for i in r {
                guard i < v.count, v[i] >= 0x30, v[i] <= 0x39 else { return nil }
                n = n * 10 + Int(v[i] - 0x30)
            }
            return n
        }
        guard let y = num(0..<4), let mo = num(4..<6), let d = num(6..<8) else { return nil }
        let date = LocalDate(year: y, month: mo, day: d)
        guard date.isValid else { return nil }
        if v.count == 8 { self = .date(date); return }
        guard v.count == 15 || (v.count == 16 && (v[15] == UInt8(ascii: "Z") || v[15] == UInt8(ascii: "z"))),
              v[8] == UInt8(ascii: "T") || v[8] == UInt8(ascii: "t"),
              let h = num(9..<11), let mi = num(11..<13), let s = num(13..<15)
        else { return nil }
        let t = LocalDateTime(date: date, hour: h, minute: mi, second: s)
        guard t.isValid else { return nil }
        if v.count == 16 { self = .utc(t) } else if let tzid { self = .zoned(t, tzid: tzid, utcOffset: nil) } else { self = .floating(t) }
    }

    /// The iCalendar value text (without TZID).
    public var icalValue: String {
        switch self {
        case .date(let d): return d.basicFormat
        case .floating(let l), .zoned(let l, _, _): return l.basicFormat
        case .utc(let l): return l.basicFormat + "Z"
        }
    }

    /// The property parameters that go with `icalValue` (`;VALUE=DATE`, `;TZID=…`).
    public var icalParameters: [Parameter] {
        switch self {
        case .date: return [Parameter("VALUE", "DATE")]
        case .zoned(_, let z, _): return [Parameter("TZID", z)]
        case .floating, .utc: return []
        }
    }
}
