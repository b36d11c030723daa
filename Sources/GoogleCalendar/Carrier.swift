import CalendarModel

/// Carries iCalendar content that Google has no field for in `extendedProperties.private`,
/// as content lines, so that .ics -> Google -> .ics gives the same content back.
///
/// Keys: the property name (`X-MICROSOFT-CDO-BUSYSTATUS`), `#2`, `#3` … for repeats, and
/// `~2`, `~3` … for the continuation pieces of a line longer than a value may be.
/// Values: the content line after its name (`";X-P=1:value"`, `":OOF"`), since the key says
/// the name and every byte counts against Google's 32 kB; a name too long for a key is
/// shortened there, so its value keeps the whole line. Earlier versions wrote whole lines
/// everywhere (`"DURATION": "DURATION:PT45M"`); those are still read.
/// Entries calport did not write (another application's data) are kept separately.
enum Carrier {
    /// Google's limits, per its extended-properties guide (key and value sizes are not in the
    /// discovery document; see docs/mapping.md).
    static let maximumKeyLength = 44
    static let maximumValueLength = 1024
    static let maximumTotalBytes = 32 * 1024
    static let maximumEntries = 300

    /// How much a carried item is worth keeping when not everything fits; the least is
    /// dropped first. `spelling` only restores how the .ics wrote what Google's fields already
    /// say (DURATION beside an explicit end, CLASS:PUBLIC, CUTYPE=INDIVIDUAL); `vendor` is
    /// another application's X- data; `meaning` is iCalendar content Google has no field for
    /// (RSVP, roles, alarms, categories); `essential` changes what the event is on the way back
    /// (the floating and synthetic-series markers, an override's RECURRENCE-ID) and is never
    /// dropped.
    enum Worth: Int, Comparable, Sendable {
        case spelling, vendor, meaning, essential
        static func < (a: Worth, b: Worth) -> Bool { a.rawValue < b.rawValue }
    }

    /// One piece of carried data that can be left out on its own, and how a warning names it:
    /// `what` (`X-VENDOR-BLOB`, `parameters RSVP, X-FOO of ATTENDEE`) and `of` (an address).
    struct Item: Sendable {
        var worth: Worth
        var size: Int
        var what: String
        var of: String? = nil
    }

    /// Whether `carried` beside the entries calport does not own fits Google's limits; keys and
    /// values are within theirs by construction (`encode`).
    static func fits(_ carried: [String: String], besides other: [String: String]) -> Bool {
        size(carried) + size(other) <= maximumTotalBytes && carried.count + other.count <= maximumEntries
    }

    /// Keeps the most that fits Google's limits: everything when it fits, else the items by
    /// worth, most valuable first, and within a worth the smaller first (one large blob does
    /// not push out many small items) until one does not fit; then the next worth gets what
    /// room is left. `encode` builds the dictionary from the items kept; adding an item never
    /// makes it smaller, so the longest prefix that fits is found by bisection (a few dozen
    /// encodings for 400 attendees, not 800). Returns it and the indices of the items left out.
    static func fit(_ items: [Item], besides other: [String: String], encode: ([Bool]) -> [String: String]) -> ([String: String], dropped: [Int]) {
        var keep = [Bool](repeating: true, count: items.count)
        let all = encode(keep)
        if fits(all, besides: other) { return (all, []) }
        keep = items.map { $0.worth == .essential }
        for worth in [Worth.meaning, .vendor, .spelling] {
            let order = items.indices.filter { items[$0].worth == worth }.sorted { (items[$0].size, $0) < (items[$1].size, $1) }
            // The longest prefix of `order` that fits: `low` fits, `high` + 1 does not.
            var low = 0, high = order.count
            while low < high {
                let mid = (low + high + 1) / 2
                var trial = keep
                for i in order[..<mid] { trial[i] = true }
                if fits(encode(trial), besides: other) { low = mid } else { high = mid - 1 }
            }
            for i in order[..<low] { keep[i] = true }
        }
        return (encode(keep), items.indices.filter { !keep[$0] })
    }

    /// Names the dropped items, least valuable first: a summary with counts, which a terminal
    /// shows whole (it cuts diagnostics at 1,000 characters), then every attendee by address:
    /// `X-VENDOR-BLOB; parameters RSVP of 2 attendees (parameters RSVP: mailto:a, mailto:b)`.
    static func describe(_ dropped: [Item]) -> String {
        var order: [String] = []
        var subjects: [String: [String]] = [:]
        var counts: [String: Int] = [:]
        for item in dropped.enumerated().sorted(by: { ($0.element.worth, $0.offset) < ($1.element.worth, $1.offset) }).map(\.element) {
            if counts[item.what] == nil { order.append(item.what) }
            counts[item.what, default: 0] += 1
            if let of = item.of { subjects[item.what, default: []].append(of) }
        }
        let summary = order.map { what in
            let n = counts[what]!
            if subjects[what] != nil { return "\(what) of \(n) attendee\(n == 1 ? "" : "s")" }
            return n > 1 ? "\(what) (\(n) lines)" : what
        }
        let lists = order.compactMap { what in subjects[what].map { what + ": " + $0.joined(separator: ", ") } }
        return summary.joined(separator: "; ") + (lists.isEmpty ? "" : " (" + lists.joined(separator: "; ") + ")")
    }

    /// Encodes content lines, each given as its name and the rest of the line after the name,
    /// under readable keys.
    static func encode(rests lines: [(name: String, rest: String)]) -> [String: String] {
        var encoder = Encoder(capacity: lines.count)
        for (name, rest) in lines { encoder.add(name, rest) }
        return encoder.entries
    }

    /// `encode(rests:)` a line at a time, for a caller that makes its lines as it goes (the
    /// event mapper: its carried lines, then its attendees' residue lines) and so need not
    /// gather them into one list first.
    struct Encoder {
        private(set) var entries: [String: String] = [:]
        /// How often each base met more than once was met (see `add`).
        private var used: [String: Int] = [:]

        /// Room for `capacity` entries, so that a dictionary of the usual size is made once.
        init(capacity: Int) {
            entries.reserveCapacity(capacity)
        }

        mutating func add(_ name: String, _ rest: String) {
            // At most 36 bytes is at most 36 characters: count characters only past that.
            let shortened = name.utf8.count > 36 && name.count > 36
            var base = shortened ? String(name.prefix(27)) + "-" + shortHash(name) : name
            // The line without its name, which the key gives (unless shortened).
            let value = shortened ? name + rest : rest
            // A base without `#` and `~` (every name the tokenizer reads) is in `entries` exactly
            // when it was met before, since no other key can equal it: only its repeats are
            // counted, and most lines are not repeats. Any other base is counted always.
            let n: Int
            // (The bytes looked at in memory: walking a String's UTF-8 view costs more.)
            if base.utf8.withContiguousStorageIfAvailable({ $0.contains(where: Self.isMark) }) ?? base.utf8.contains(where: Self.isMark) {
                n = Self.increment(&used[base, default: 0])
            } else if value.utf8.count <= maximumValueLength, Self.store(value, ifEmpty: &entries[base]) {
                // The first line of its name, in one piece (nearly every line): found absent and
                // stored with one hashing of its key.
                return
            } else if value.utf8.count > maximumValueLength, entries[base] == nil {
                n = 1
            } else {
                n = Self.increment(&used[base, default: 1])
            }
            if n > 1 { base += "#\(n)" }
            // Nearly every value is one piece: stored without making a list of one.
            if value.utf8.count <= maximumValueLength {
                entries[base] = value
                return
            }
            for (i, piece) in chunks(value, maximumValueLength).enumerated() {
                entries[i == 0 ? base : base + "~\(i + 1)"] = piece
            }
        }

        /// Adds the entries calport did not write (`decode`'s `foreign`), after the lines: where
        /// a line took the same key, the line's entry is kept.
        mutating func add(foreign: [String: String]) {
            for (key, value) in foreign { _ = Self.store(value, ifEmpty: &entries[key]) }
        }

        /// Puts `value` in `slot` if it holds none, and says whether it did. Given a
        /// dictionary's entry (`&entries[key]`), the key is found once for both.
        private static func store(_ value: String, ifEmpty slot: inout String?) -> Bool {
            guard slot == nil else { return false }
            slot = value
            return true
        }

        private static func isMark(_ b: UInt8) -> Bool { b == UInt8(ascii: "#") || b == UInt8(ascii: "~") }

        /// Adds one to `count` and gives the sum; given a dictionary's entry, with one hashing.
        private static func increment(_ count: inout Int) -> Int {
            count += 1
            return count
        }
    }

    /// Decodes what `encode` wrote; entries that are not calport's come back in `foreign`. Each
    /// line comes with its property when reading it was part of recognising it (this version's
    /// form); `text` is then what follows the name, and otherwise the whole line.
    static func decode(_ dict: [String: String]) -> (lines: [(key: String, text: String, property: Property?)], foreign: [String: String]) {
        var foreign: [String: String] = [:]
        var lines: [(key: String, text: String, property: Property?)] = []
        var order: [(String, Int)] = []
        lines.reserveCapacity(dict.count)
        order.reserveCapacity(dict.count)
        /// One line under `base`, whole (`text`) and in its pieces (`parts`, asked for only
        /// when the line is not recognised as calport's).
        func recognise(_ base: String, _ text: String, contiguous: Bool, parts: () -> [(Int, String)]) {
            let (name, repeatNumber) = nameAndRepeat(base)
            var matches = false
            var property: Property?
            if let first = text.utf8.first, first == UInt8(ascii: ":") || first == UInt8(ascii: ";") {
                // This version's form: the key is the name, in the upper case calport writes.
                // `Property(contentLine: name + text)`, without joining them.
                if name.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(isNameByte) }) ?? name.utf8.allSatisfy(isNameByte) {
                    property = Property(name: name, contentLineAfterName: text)
                    matches = property != nil
                }
            } else {
                // Earlier versions' form, and names too long for a key: the whole line.
                let lineName = text.prefix { $0 != ":" && $0 != ";" }
                matches = !name.isEmpty && (sameUppercased(lineName, name)
                    || (name.count > 27 && name.contains("-") && lineName.uppercased().hasPrefix(String(name.prefix(27)))))
            }
            if contiguous && matches {
                lines.append((base, text, property))
                order.append((name, repeatNumber))
            } else {
                for (i, v) in parts() { foreign[i == 1 ? base : base + "~\(i)"] = v }
            }
        }
        // `~` is ASCII: look for it in the bytes before splitting the Characters. Without
        // continuation pieces (most events) each entry is a line of its own.
        if !dict.keys.contains(where: { $0.utf8.contains(UInt8(ascii: "~")) }) {
            for (key, value) in dict { recognise(key, value, contiguous: true) { [(1, value)] } }
        } else {
            var bases: [String: [(Int, String)]] = [:]
            bases.reserveCapacity(dict.count)
            for (key, value) in dict {
                var base = key
                var index = 1
                if key.utf8.contains(UInt8(ascii: "~")), let tilde = key.lastIndex(of: "~"), let n = Int(key[key.index(after: tilde)...]), n >= 2 {
                    base = String(key[..<tilde])
                    index = n
                }
                bases[base, default: []].append((index, value))
            }
            for (base, parts) in bases {
                let sorted = parts.count == 1 ? parts : parts.sorted { $0.0 < $1.0 }
                let contiguous = sorted.enumerated().allSatisfy { $0.offset + 1 == $0.element.0 }
                recognise(base, sorted.count == 1 ? sorted[0].1 : sorted.map(\.1).joined(), contiguous: contiguous) { sorted }
            }
        }
        // Stable order: by name, then by repeat number.
        let sorted = order.indices.sorted { order[$0] < order[$1] }
        return (sorted.map { lines[$0] }, foreign)
    }

    /// The bytes of a property name as calport writes it: upper-case letters, digits, `-`, and
    /// the `_` that the content-line reader also takes (`RES_URCES` in libical's fuzz data).
    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F
    }

    /// `a.uppercased() == b.uppercased()`, on the bytes when both are ASCII.
    private static func sameUppercased(_ a: Substring, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.allSatisfy({ $0 < 0x80 }), y.allSatisfy({ $0 < 0x80 }) else { return a.uppercased() == b.uppercased() }
        func upper(_ c: UInt8) -> UInt8 { c >= 0x61 && c <= 0x7A ? c - 0x20 : c }
        return x.count == y.count && zip(x, y).allSatisfy { upper($0) == upper($1) }
    }

    /// A key's property name and repeat number: `ATTENDEE#3` is ("ATTENDEE", 3), `URL` is
    /// ("URL", 1). Most keys hold no `#`, which the bytes tell without splitting Characters.
    private static func nameAndRepeat(_ key: String) -> (String, Int) {
        let u = key.utf8
        // Most keys hold no `#`: looked for in the bytes in memory, which costs less than
        // walking String indices.
        if u.withContiguousStorageIfAvailable({ !$0.contains(UInt8(ascii: "#")) }) == true { return (key, 1) }
        guard let hash = u.firstIndex(of: UInt8(ascii: "#")) else { return (key, 1) }
        let rest = u[u.index(after: hash)...]
        // One `#` after a name: split there (`#` is ASCII, so both sides are whole Characters).
        if hash != u.startIndex && !rest.contains(UInt8(ascii: "#")) {
            return (String(Substring(u[..<hash])), rest.isEmpty ? 1 : Int(Substring(rest)) ?? 0)
        }
        let parts = key.split(separator: "#")
        guard let first = parts.first else { return (key, 1) }
        return (String(first), parts.count > 1 ? Int(parts[1]) ?? 0 : 1)
    }

    /// Splits into pieces of at most `size` UTF-8 bytes, on character boundaries.
    static func chunks(_ s: String, _ size: Int) -> [String] {
        guard s.utf8.count > size else { return [s] }
        // Scalars below U+0300 (ASCII, and the Latin letters with accents that HTML in another
        // language is mostly made of) without CR: the grapheme rules join none of them to its
        // neighbours (only CR LF), so each is one Character, and the cuts fall where they would
        // below: before the first scalar that does not fit, found on the bytes without breaking
        // the text into grapheme clusters. In UTF-8 these are exactly the bytes below 0xCC.
        // (They are one or two bytes long: a piece of two bytes or more holds one.)
        if size >= 2 && s.utf8.allSatisfy({ $0 < 0xCC && $0 != 0x0D }) {
            let bytes = Array(s.utf8)
            var out: [String] = []
            var start = 0
            while start < bytes.count {
                var end = min(start + size, bytes.count)
                // Not within a scalar: back to its first byte (continuation bytes are 10xxxxxx).
                while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end -= 1 }
                out.append(String(decoding: bytes[start..<end], as: UTF8.self))
                start = end
            }
            return out
        }
        // Anything else: each piece ends at the last Character boundary within `size` bytes,
        // found by stepping back over the bytes from the limit, so only the text at each cut
        // is broken into grapheme clusters, not all of it.
        var out: [String] = []
        var start = s.startIndex
        while start < s.endIndex {
            guard let limit = s.utf8.index(start, offsetBy: size, limitedBy: s.endIndex), limit < s.endIndex else {
                out.append(String(s[start...]))
                break
            }
            var cut = limit
            while cut > start && cut.samePosition(in: s) == nil { cut = s.utf8.index(before: cut) }
            if cut == start {
                // A Character longer than `size` is a piece of its own; at the very start it
                // follows an empty piece, as the cut by Characters has always written it.
                if start == s.startIndex { out.append("") }
                cut = s.index(after: start)
            }
            out.append(String(s[start..<cut]))
            start = cut
        }
        return out
    }

    static func shortHash(_ s: String) -> String {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    static func size(_ dict: [String: String]) -> Int {
        dict.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
    }
}
