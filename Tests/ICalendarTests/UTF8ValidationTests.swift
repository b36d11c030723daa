import Testing

@testable import ICalendar

/// The decoder's own UTF-8 check (lines it warns about) agrees with the standard library's
/// validation on edge cases and on random bytes.
@Suite struct UTF8ValidationTests {
    static func standard(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }
    static func mine(_ bytes: [UInt8]) -> Bool { bytes.withUnsafeBufferPointer { EventDecoder.isValidUTF8($0) } }

    @Test func edgeCases() {
        let cases: [[UInt8]] = [
            [], [0x41], [0xC3, 0xA9], [0xC0, 0x80], [0xC1, 0xBF], [0xC2, 0x80], [0xE0, 0x9F, 0x80], [0xE0, 0xA0, 0x80],
            [0xED, 0x9F, 0xBF], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBF], [0xF0, 0x8F, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80],
            [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0x80], [0xE2, 0x82],
            [0xE2, 0x82, 0xAC], [0x41, 0xE2, 0x82], [0xC3, 0x41],
        ]
        for c in cases { #expect(Self.mine(c) == Self.standard(c), "\(c)") }
        #expect(Self.mine(Array("Zoë, 東京, 🎉".utf8)))
    }

    /// Every one- and two-byte sequence, and three- and four-byte ones over every lead and
    /// second byte with continuation bytes at and around their bounds.
    @Test func exhaustiveShortSequences() {
        var checked = 0
        func check(_ bytes: [UInt8]) {
            checked += 1
            if Self.mine(bytes) != Self.standard(bytes) { Issue.record("\(bytes)") }
        }
        for a in 0...255 { check([UInt8(a)]) }
        for a in 0...255 { for b in 0...255 { check([UInt8(a), UInt8(b)]) } }
        let edges: [UInt8] = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF]
        for a in 0xC0...0xFF {
            for b in 0...255 {
                for c in edges {
                    check([UInt8(a), UInt8(b), c])
                    if a >= 0xF0 { for d in edges { check([UInt8(a), UInt8(b), c, d]) } }
                }
            }
        }
        #expect(checked > 200_000)
    }
}
