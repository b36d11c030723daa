/// A content line kept verbatim: the name, its parameters and the value exactly as written
/// (still escaped), so that what calport does not interpret is written back unchanged.
public struct Property: Hashable, Sendable, Codable {
    public var name: String
    public var parameters: [Parameter]
    /// The value as it stood in the file, after unfolding: TEXT escapes are kept.
    public var value: String

    public init(name: String, parameters: [Parameter] = [], value: String) {
        self.name = name
        self.parameters = parameters
        self.value = value
    }

    public func parameter(_ name: String) -> Parameter? {
        parameters.first { $0.name.caseInsensitiveEquals(name) }
    }
}

/// A property parameter; several values when the file had a comma-separated list.
/// Values are stored without the surrounding double quotes.
public struct Parameter: Hashable, Sendable, Codable {
    public var name: String
    /// Nearly every parameter has one value: it is held without an array, which would be an
    /// allocation for each parameter of each line read. Always `.one` for a single value, so
    /// equal values compare and hash alike.
    private var storage: Values

    private enum Values: Hashable, Sendable {
        case one(String)
        case list([String])

        init(_ values: [String]) { self = values.count == 1 ? .one(values[0]) : .list(values) }
    }

    public init(name: String, values: [String]) {
        self.name = name
        storage = Values(values)
    }

    public init(_ name: String, _ value: String) {
        self.name = name
        storage = .one(value)
    }

    public var values: [String] {
        get {
            switch storage {
            case .one(let v): return [v]
            case .list(let l): return l
            }
        }
        set { storage = Values(newValue) }
    }

    /// How many values; `values.count` without making the list.
    public var valueCount: Int {
        switch storage {
        case .one: return 1
        case .list(let l): return l.count
        }
    }

    /// The only value, or nil when there are none or several.
    public var singleValue: String? {
        if case .one(let v) = storage { return v }
        return nil
    }

    /// The values joined by commas.
    public var value: String {
        switch storage {
        case .one(let v): return v
        case .list(let l): return l.joined(separator: ",")
        }
    }

    private enum CodingKeys: String, CodingKey { case name, values }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), values: try c.decode([String].self, forKey: .values))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(values, forKey: .values)
    }
}

extension String {
    @inlinable
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        let a = utf8, b = other.utf8
        guard a.count == b.count else { return false }
        // ASCII (every name and enumerated value calport compares): byte by byte, letters
        // folded; anything else as upper-cased strings.
        var ascii = true
        for (x, y) in zip(a, b) {
            guard x < 0x80, y < 0x80 else { ascii = false; break }
            if x == y { continue }
            let ux = x >= 0x61 && x <= 0x7A ? x - 0x20 : x
            let uy = y >= 0x61 && y <= 0x7A ? y - 0x20 : y
            if ux != uy { return false }
        }
        return ascii || uppercased() == other.uppercased()
    }
}

/// RFC 6868 encoding of parameter values (`^n` newline, `^'` double quote, `^^` caret), for
/// values that hold free text such as CN.
public enum ParameterText {
    public static func decode(_ s: String) -> String {
        guard Bytes.contains(s, UInt8(ascii: "^")) else { return s }
        var out = ""
        var caret = false
        for c in s {
            if caret {
                switch c {
                case "n": out += "\n"
                case "'": out += "\""
                case "^": out += "^"
                default: out += "^" + String(c)
                }
                caret = false
            } else if c == "^" {
                caret = true
            } else {
                out.append(c)
            }
        }
        return caret ? out + "^" : out
    }

    public static func encode(_ s: String) -> String {
        // Without these bytes no character below can occur (`\r\n` holds a `\n`).
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "^") || $0 == UInt8(ascii: "\"") || $0 == 0x0A }) else { return s }
        guard s.contains(where: { $0 == "^" || $0 == "\"" || $0 == "\n" || $0 == "\r\n" }) else { return s }
        var out = ""
        for c in s {
            switch c {
            case "^": out += "^^"
            case "\"": out += "^'"
            case "\n", "\r\n": out += "^n"
            default: out.append(c)
            }
        }
        return out
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    public func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// Escaping of RFC 5545 TEXT values (section 3.3.11).
public enum ICalText {
    public static func escape(_ s: String) -> String {
        // On the bytes (see `appendEscaped`); most text has nothing to escape and stays as it is.
        let plain = s.utf8.withContiguousStorageIfAvailable { !$0.contains(where: isEscaped) } ?? !s.utf8.contains(where: isEscaped)
        if plain { return s }
        var s = s
        return s.withUTF8 { u in
            var out: [UInt8] = []
            out.reserveCapacity(u.count + 16)
            appendEscaped(u, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The bytes `escape` changes: `\`, `;`, `,`, LF, and CR (dropped).
    @usableFromInline @inline(__always)
    static func isEscaped(_ b: UInt8) -> Bool { b == 0x5C || b == 0x3B || b == 0x2C || b == 0x0A || b == 0x0D }

    /// `escape` on UTF-8 bytes, appended to `out`: all five bytes it changes are ASCII, which
    /// no byte of a multi-byte UTF-8 sequence is, so the bytes can be walked one by one, and
    /// the runs between them copied at once.
    @inlinable
    public static func appendEscaped(_ u: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var run = 0
        for (i, b) in u.enumerated() where isEscaped(b) {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: u[run..<i]))
            run = i + 1
            switch b {
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: break  // CR LF and lone CR both become \n via the LF or below
            default: out.append(0x5C); out.append(b)
            }
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: u[run...]))
    }

    public static func unescape(_ s: String) -> String {
        guard Bytes.contains(s, UInt8(ascii: "\\")) else { return s }
        // On bytes: `\` and the letters after it are ASCII, and a byte that follows `\` and
        // starts a multi-byte character is kept with the rest of that character.
        var s = s
        return s.withUTF8 { u in
            // Written straight into the new string's storage: it is never longer than `s`.
            String(unsafeUninitializedCapacity: u.count) { out in
                var n = 0
                var escaping = false
                for b in u {
                    if escaping {
                        out[n] = b == UInt8(ascii: "n") || b == UInt8(ascii: "N") ? 0x0A : b  // \\ \; \, and lenient for anything else
                        n += 1
                        escaping = false
                    } else if b == UInt8(ascii: "\\") {
                        escaping = true
                    } else {
                        out[n] = b
                        n += 1
                    }
                }
                if escaping {
                    out[n] = UInt8(ascii: "\\")
                    n += 1
                }
                return n
            }
        }
    }

    /// Splits a TEXT list (CATEGORIES, RESOURCES) at unescaped commas, unescaping each item.
    public static func splitList(_ s: String) -> [String] {
        var items: [String] = []
        var current = ""
        var escaping = false
        for c in s.unicodeScalars {
            if escaping {
                current.unicodeScalars.append("\\")
                current.unicodeScalars.append(c)
                escaping = false
            } else if c == "\\" {
                escaping = true
            } else if c == "," {
                items.append(unescape(current))
                current = ""
            } else {
                current.unicodeScalars.append(c)
            }
        }
        if escaping { current += "\\" }
        items.append(unescape(current))
        return items
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte search on the C library's memchr and memcmp (the generic `firstRange(of:)` is far slower).
public enum Bytes {
    /// Whether `s` holds the byte, by `memchr` on its UTF-8 (generic `utf8.contains` steps
    /// through the view a byte at a time).
    public static func contains(_ s: String, _ byte: UInt8) -> Bool {
        s.utf8.withContiguousStorageIfAvailable { b in
            guard let base = b.baseAddress else { return false }
            return memchr(base, Int32(byte), b.count) != nil
        } ?? s.utf8.contains(byte)
    }

    /// A needle prepared once for many searches: a long one keeps its skip table.
    public struct Needle: Sendable {
        public let bytes: [UInt8]
        /// Boyer-Moore-Horspool's shift for each byte value, for needles of 8 bytes or more.
        let shift: [Int]?

        public init(_ bytes: [UInt8]) {
            self.bytes = bytes
            let m = bytes.count
            guard m >= 8 else { shift = nil; return }
            var shift = [Int](repeating: m, count: 256)
            for k in 0..<(m - 1) { shift[Int(bytes[k])] = m - 1 - k }
            self.shift = shift
        }

        public init(_ text: String) { self.init(Array(text.utf8)) }
    }

    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Bool {
        contains(haystack, Needle(needle))
    }

    public static func contains(_ haystack: UnsafeRawBufferPointer, _ needle: Needle) -> Bool {
        let n = needle.bytes
        guard !n.isEmpty, haystack.count >= n.count, let base = haystack.baseAddress else { return n.isEmpty }
        if let shift = needle.shift { return horspool(haystack, n, shift) }
        return n.withUnsafeBytes { n in
            // memchr for the first byte, memcmp for the rest (memmem is not in every C library).
            let first = Int32(n[0])
            var at = base
            let end = base + (haystack.count - n.count + 1)
            while at < end, let hit = memchr(at, first, end - at) {
                if memcmp(hit, n.baseAddress!, n.count) == 0 { return true }
                at = UnsafeRawPointer(hit) + 1
            }
            return false
        }
    }

    /// Boyer-Moore-Horspool: for a long needle made of common letters (`THISANDFUTURE` in an
    /// .ics) it reads a few bytes per needle length, where `memchr` on the first byte stops
    /// every few bytes.
    private static func horspool(_ haystack: UnsafeRawBufferPointer, _ needle: [UInt8], _ shift: [Int]) -> Bool {
        let m = needle.count
        let last = needle[m - 1]
        return needle.withUnsafeBytes { n in
            shift.withUnsafeBufferPointer { shift in
                var at = 0
                let end = haystack.count - m
                while at <= end {
                    let c = haystack[at + m - 1]
                    if c == last && memcmp(haystack.baseAddress! + at, n.baseAddress!, m - 1) == 0 { return true }
                    at += shift[Int(c)]
                }
                return false
            }
        }
    }

    /// Needles looked for together, in one pass: each is found by two adjacent bytes of it, its
    /// anchor (needles may share one), and there are at most two different anchors. A rare
    /// pair makes few places to compare the needles at.
    public struct Needles: Sendable {
        let needles: [(bytes: [UInt8], anchor: Int)]
        /// The anchors' bytes: the first and the second pair (the first again when there is one).
        let pairs: (UInt8, UInt8, UInt8, UInt8)

        /// `anchor` is the offset of the pair in its needle.
        public init(_ needles: [(text: String, anchor: Int)]) {
            self.needles = needles.map { (Array($0.text.utf8), $0.anchor) }
            var distinct: [(UInt8, UInt8)] = []
            for (bytes, anchor) in self.needles {
                precondition(anchor >= 0 && anchor + 1 < bytes.count, "an anchor is two bytes of its needle")
                let pair = (bytes[anchor], bytes[anchor + 1])
                if !distinct.contains(where: { $0 == pair }) { distinct.append(pair) }
            }
            precondition(distinct.count == 1 || distinct.count == 2, "one or two different anchors")
            let second = distinct.count == 2 ? distinct[1] : distinct[0]
            pairs = (distinct[0].0, distinct[0].1, second.0, second.1)
        }
    }

    /// Whether `haystack` holds any of `needles`: 16 places at a time, each a candidate when it
    /// and the next byte are an anchor, where the needles with that anchor are compared.
    public static func containsAny(_ haystack: UnsafeRawBufferPointer, _ needles: Needles) -> Bool {
        guard let p = haystack.baseAddress else { return false }
        let n = haystack.count
        func found(at q: Int) -> Bool {
            for (bytes, anchor) in needles.needles {
                let start = q - anchor
                guard start >= 0, start + bytes.count <= n, bytes[anchor] == haystack[q], bytes[anchor + 1] == haystack[q + 1] else { continue }
                if bytes.withUnsafeBytes({ memcmp(p + start, $0.baseAddress!, $0.count) }) == 0 { return true }
            }
            return false
        }
        let (a0, a1, b0, b1) = needles.pairs
        let x0 = SIMD16<UInt8>(repeating: a0), x1 = SIMD16<UInt8>(repeating: a1)
        let y0 = SIMD16<UInt8>(repeating: b0), y1 = SIMD16<UInt8>(repeating: b1)
        var i = 0
        while n - i >= 17 {
            let here = p.loadUnaligned(fromByteOffset: i, as: SIMD16<UInt8>.self)
            let next = p.loadUnaligned(fromByteOffset: i + 1, as: SIMD16<UInt8>.self)
            let candidates = (here .== x0 .& next .== x1) .| (here .== y0 .& next .== y1)
            if any(candidates) {
                for k in 0..<16 where candidates[k] && found(at: i + k) { return true }
            }
            i += 16
        }
        while i + 1 < n {
            if found(at: i) { return true }
            i += 1
        }
        return false
    }

    public static func containsAny(_ haystack: [UInt8], _ needles: Needles) -> Bool {
        haystack.withUnsafeBytes { containsAny($0, needles) }
    }

    /// Scanning eight bytes at a time with the usual bit tests on a word read from memory.
    /// Each test gives the high bit of every byte it marks. A borrow can mark a wrong byte
    /// only above one that is really marked, so a test may mark too much but never misses a
    /// byte: a scan passes over unmarked words and finishes byte by byte from a marked one.
    public enum Word {
        /// The eight bytes at `i` (at least eight remain).
        @inlinable @inline(__always)
        public static func load(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> UInt64 {
            UnsafeRawPointer(b.baseAddress!).loadUnaligned(fromByteOffset: i, as: UInt64.self)
        }

        /// The bytes of `v` equal to `byte`: a zero byte of `v ^ byte…byte`.
        @inlinable @inline(__always)
        public static func equal(_ v: UInt64, _ byte: UInt8) -> UInt64 {
            let x = v ^ (0x0101_0101_0101_0101 &* UInt64(byte))
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
        }

        /// The bytes of `v` below `byte` (at most 0x80).
        @inlinable @inline(__always)
        public static func below(_ v: UInt64, _ byte: UInt8) -> UInt64 {
            (v &- 0x0101_0101_0101_0101 &* UInt64(byte)) & ~v & 0x8080_8080_8080_8080
        }
    }

    public static func contains(_ haystack: [UInt8], _ needle: Needle) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }

    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }

    public static func contains(_ haystack: ArraySlice<UInt8>, _ needle: [UInt8]) -> Bool {
        haystack.withUnsafeBytes { contains($0, needle) }
    }
}
