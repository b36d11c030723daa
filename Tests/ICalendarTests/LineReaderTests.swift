@testable import ICalendar
import Testing

/// The line reader finds a line's end as the first LF and any CR before it: every line
/// length and every kind of line end (a bare CR before a later LF among them), at every
/// offset from the start of the input.
@Suite struct LineReaderTests {
    static func lines(of input: [UInt8]) throws -> [(String, Int)] {
        let reader = LineReader(.bytes(input))
        var out: [(String, Int)] = []
        while let line = try reader.next() { out.append((line.text, line.number)) }
        return out
    }

    @Test func lineEndsAtEveryOffset() throws {
        let ends: [[UInt8]] = [[0x0D, 0x0A], [0x0A], [0x0D]]
        for lead in 0..<9 {
            for folded in [false, true] {
                var input = Array(repeating: UInt8(ascii: "x"), count: lead) + [0x0A]
                var expected: [(String, Int)] = lead == 0 ? [] : [(String(repeating: "x", count: lead), 1)]
                var physical = 1
                for length in 1...20 {
                    // A name, then bytes up to the length: `é` puts multi-byte characters in the words.
                    let text = "L\(length):" + String(repeating: length % 3 == 0 ? "é" : "a", count: length)
                    input += Array(text.utf8) + ends[length % 3]
                    physical += 1
                    var logical = text
                    let number = physical
                    if folded {
                        let more = String(repeating: "b", count: length % 9)
                        input += [0x20] + Array(more.utf8) + ends[(length + 1) % 3]
                        physical += 1
                        logical += more
                    }
                    expected.append((logical, number))
                }
                let got = try Self.lines(of: input)
                #expect(got.map(\.0) == expected.map(\.0), "lead \(lead), folded \(folded)")
                #expect(got.map(\.1) == expected.map(\.1), "lead \(lead), folded \(folded)")
            }
        }
    }
}
