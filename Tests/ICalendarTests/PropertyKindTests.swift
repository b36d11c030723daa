import CalendarModel
@testable import ICalendar
import Testing

/// Lines are told apart by `PropertyKind`, recognised once from the packed name: it must say
/// what comparing the tokenizer's upper-cased name with each kind's name says, for every line.
@Suite struct PropertyKindTests {
    /// The kind by comparing strings, as the scanner and decoder did.
    static func kindByName(_ name: String) -> PropertyKind {
        PropertyKind.allCases.first { $0 != .other && $0.name == name } ?? .other
    }

    @Test func everyKindIsRecognisedInAnyCaseWithAndWithoutParameters() throws {
        for kind in PropertyKind.allCases where kind != .other {
            for spelled in [kind.name, kind.name.lowercased(), kind.name.prefix(1) + kind.name.dropFirst().lowercased()] {
                for rest in [":x", ";X-P=1:x", ";TZID=\"a:b\":x", ":"] {
                    let line = try #require(ContentLine(spelled + rest, line: 1))
                    #expect(line.kind == kind, "\(spelled + rest)")
                    let bytes = Array((spelled + rest).utf8)
                    let fromBuffer = try #require(bytes.withUnsafeBufferPointer { ContentLine(buffer: $0, line: 1) })
                    #expect(fromBuffer.kind == kind, "\(spelled + rest)")
                }
            }
        }
        #expect(PropertyKind.allCases.filter { EventDecoder.typedBit($0) != nil }.count == 26, "the typed kinds are EventDecoder's bits")
        // Each name whose line goes to libical has a kind of its own (`PlainTypedValues` reads them by kind).
        for name in RawComponentText.libicalPropertyNames { #expect(PropertyKind(name: name).name == name) }
    }

    /// Names near the kinds' names, and random names: the packed lookup agrees with the
    /// string comparison on each.
    @Test func otherNamesAreOther() throws {
        var names = ["UIDS", "UI", "DTSTAR", "DTSTARTX", "X-ATTENDEE", "ATTENDEES", "BEGINS", "EN", "X-BEGIN",
                     "RECURRENCE-IDX", "LAST-MODIFIED-BY", "X-MICROSOFT-CDO-BUSYSTATUS", "A", "Z", "0", "_", "-"]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEIMNORSTUVXYZ-_0".utf8)
        for _ in 0..<5000 {
            let length = Int.random(in: 1...18, using: &generator)
            names.append(String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator)! }, as: UTF8.self))
        }
        for name in names {
            let line = try #require(ContentLine(name + ":v", line: 1), "\(name)")
            #expect(line.kind == Self.kindByName(name), "\(name)")
            let bytes = Array((name + ";A=b:v").utf8)
            let fromBuffer = try #require(bytes.withUnsafeBufferPointer { ContentLine(buffer: $0, line: 1) })
            #expect(fromBuffer.kind == Self.kindByName(name), "\(name)")
        }
    }
}
