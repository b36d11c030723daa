import CalendarModel

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the elements of the `items` array of a JSON object (`{"kind": …, "items": [ … ]}`)
/// in a file read block by block, without holding more than one element: each is handed
/// on with its offset, so it can be read again later with `pread`.
///
/// Only that shape is recognised. For anything else (a bare array, no or two `items`, an
/// `items` that is not an array, a key with escapes, malformed JSON) `scan` returns nil
/// and the caller reads the document whole, which also gives the same errors as before.
enum JSONItemScanner {
    /// Calls `item` with each element's offset and bytes, in order (it returns false to
    /// give up); returns the object without `items`, as JSON text.
    static func scan(fd: Int32, item: (_ offset: Int, _ bytes: [UInt8]) -> Bool) -> [UInt8]? {
        var s = State()
        var block = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        while true {
            let n = block.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { break }
            let ok = block.withUnsafeBufferPointer { b -> Bool in
                var k = 0
                while k < n {
                    // Inside an item's value nothing but nesting matters: follow strings and
                    // brackets here (as `nest` does) up to the byte that closes the item,
                    // which `feed` takes, and copy the run at once.
                    if s.phase == .items && s.depth >= 3 {
                        var j = k
                        var depth = s.depth, inString = s.inString, escaped = s.escaped
                        while j < n {
                            let c = b[j]
                            if inString {
                                if escaped {
                                    escaped = false
                                    j += 1
                                    continue
                                }
                                // Skip to the next quote or backslash, eight bytes at a time
                                // while none of them is one (most strings are short: a call
                                // to memchr for each costs more): a quote ends the string, a
                                // backslash escapes the byte after it.
                                j = JSONItemScanner.plainRun(b, from: j, to: n)
                                guard j < n else { break }
                                if b[j] == 0x22 { inString = false } else { escaped = true }
                                j += 1
                                continue
                            } else if c == 0x22 {
                                inString = true
                            } else if c == 0x7B || c == 0x5B {
                                depth += 1
                            } else if c == 0x7D || c == 0x5D {
                                if depth == 3 { break }
                                depth -= 1
                            }
                            j += 1
                        }
                        (s.depth, s.inString, s.escaped) = (depth, inString, escaped)
                        if j > k {
                            s.element.append(contentsOf: UnsafeBufferPointer(rebasing: b[k..<j]))
                            k = j
                            continue
                        }
                    }
                    guard s.feed(b[k], at: offset + k, item) else { return false }
                    k += 1
                }
                return true
            }
            guard ok else { return nil }
            offset += n
        }
        guard s.closed, s.sawItems else { return nil }
        return s.envelope + [UInt8(ascii: "}")]
    }

    /// The first index from `j` (before `n`) of a quote or backslash, or `n`. Eight bytes at a
    /// time while none of them is one (`Bytes.Word`).
    static func plainRun(_ b: UnsafeBufferPointer<UInt8>, from j: Int, to n: Int) -> Int {
        var j = j
        while n - j >= 8 {
            let v = Bytes.Word.load(b, at: j)
            guard Bytes.Word.equal(v, 0x22) | Bytes.Word.equal(v, 0x5C) == 0 else { break }
            j += 8
        }
        while j < n, b[j] != 0x22, b[j] != 0x5C { j += 1 }
        return j
    }

    private struct State {
        enum Phase { case start, expectKey, key, expectColon, valueStart, value, items, afterItems, done }
        var phase = Phase.start
        var depth = 0
        var inString = false
        var escaped = false
        var key: [UInt8] = []
        var value: [UInt8] = []
        var envelope: [UInt8] = [UInt8(ascii: "{")]
        var pairs = 0
        var sawItems = false
        var element: [UInt8] = []
        var elementStart = 0
        var elements = 0
        var afterComma = false
        var closed: Bool { phase == .done }

        static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

        /// Tracks strings and nesting for a byte that belongs to a value being kept.
        mutating func nest(_ b: UInt8) {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                return
            }
            switch b {
            case 0x22: inString = true
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D: depth -= 1
            default: break
            }
        }

        mutating func flushPair() {
            if pairs > 0 { envelope.append(UInt8(ascii: ",")) }
            envelope.append(0x22)
            envelope += key
            envelope += [0x22, UInt8(ascii: ":")]
            envelope += value
            pairs += 1
            value = []
        }

        mutating func feed(_ b: UInt8, at offset: Int, _ item: (Int, [UInt8]) -> Bool) -> Bool {
            switch phase {
            case .start:
                if State.isSpace(b) { return true }
                guard b == 0x7B else { return false }
                depth = 1
                phase = .expectKey
            case .expectKey:
                if State.isSpace(b) { return true }
                if b == 0x22 { key = []; phase = .key; return true }
                guard b == 0x7D, pairs == 0, !sawItems else { return false }  // `{}`; a `}` after `,` is malformed
                phase = .done
            case .key:
                if b == 0x5C { return false }  // escaped keys: read whole
                if b == 0x22 { phase = .expectColon } else { key.append(b) }
            case .expectColon:
                if State.isSpace(b) { return true }
                guard b == UInt8(ascii: ":") else { return false }
                phase = .valueStart
            case .valueStart:
                if State.isSpace(b) { return true }
                if key == State.items {
                    guard !sawItems, b == 0x5B else { return false }
                    sawItems = true
                    depth = 2
                    phase = .items
                    return true
                }
                value = [b]
                nest(b)
                phase = .value
            case .value:
                if depth == 1 && !inString {
                    if b == UInt8(ascii: ",") { flushPair(); phase = .expectKey; return true }
                    if b == 0x7D { flushPair(); depth = 0; phase = .done; return true }
                }
                value.append(b)
                nest(b)
                guard depth >= 1 else { return false }
            case .items:
                if depth == 2 && !inString {
                    if b == UInt8(ascii: ",") || b == 0x5D {
                        if element.isEmpty {
                            // `[]` is fine; `[,` or `,]` or `,,` is not.
                            guard b == 0x5D, !afterComma, elements == 0 else { return false }
                        } else {
                            elements += 1
                            guard item(elementStart, element) else { return false }
                            // The next item is likely as long: grow once, not by doubling.
                            let size = element.count
                            element = []
                            element.reserveCapacity(size)
                        }
                        afterComma = b == UInt8(ascii: ",")
                        if b == 0x5D { depth = 1; phase = .afterItems }
                        return true
                    }
                    if element.isEmpty {
                        if State.isSpace(b) { return true }
                        elementStart = offset
                    }
                }
                element.append(b)
                nest(b)
                guard depth >= 2 else { return false }
            case .afterItems:
                if State.isSpace(b) { return true }
                if b == UInt8(ascii: ",") { phase = .expectKey; return true }
                guard b == 0x7D else { return false }
                depth = 0
                phase = .done
            case .done:
                return State.isSpace(b)
            }
            return true
        }

        static let items = Array("items".utf8)
    }
}
