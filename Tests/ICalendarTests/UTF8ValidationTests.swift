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

    /// ASCII is passed over eight bytes at a time: a bad or multi-byte sequence at every offset
    /// of every length up to 40, among ASCII, is judged as the standard library judges it.
    @Test func sequencesAtEveryOffsetAmongASCII() {
        let inserts: [[UInt8]] = [[0xC3, 0xA9], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x8E, 0x89], [0x80], [0xFF], [0xC3], [0xE2, 0x82],
                                  [0xED, 0xA0, 0x80], [0xC0, 0xAF]]
        for length in 0...40 {
            for at in 0...length {
                for insert in inserts {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes.insert(contentsOf: insert, at: at)
                    #expect(Self.mine(bytes) == Self.standard(bytes), "\(bytes)")
                }
            }
        }
    }

    /// The decoder checks a VEVENT's lines together, then line by line only when that finds
    /// something: a character cut between two lines (each invalid alone, valid together) is
    /// still reported on both lines, and valid lines are not reported.
    @Test func aCharacterSplitBetweenLinesIsReportedOnEachLine() throws {
        var bytes = ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:split", "DTSTART:20250101T100000Z")
        bytes += Array("SUMMARY:caf".utf8) + [0xC3] + [13, 10]  // line 7 ends with a lead byte
        bytes += [0xA9] + Array("X-NEXT:1".utf8) + [13, 10]  // line 8 starts with its continuation
        bytes += ics("LOCATION:Zoë, 東京", "END:VEVENT", "END:VCALENDAR")
        let (_, diags) = try read(bytes)
        let lines = diags.filter { $0.message.contains("not valid UTF-8") }.compactMap(\.line)
        #expect(lines == [7, 8], "\(diags)")

        let (_, clean) = try read(ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:t", "BEGIN:VEVENT", "UID:ok",
                                      "DTSTART:20250101T100000Z", "SUMMARY:Zoë, 東京, 🎉", "END:VEVENT", "END:VCALENDAR"))
        #expect(!clean.contains { $0.message.contains("not valid UTF-8") })
    }
}
