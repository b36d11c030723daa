import CalendarModel
@testable import ICalendar
import Testing

/// The tokenizer gives the names it knows (property kinds, common parameter names) as constant
/// Strings, recognised from their bytes: each line must read as the line it was made from, the
/// names upper-cased, whatever their case and however near a known name they are.
@Suite struct TokenizerNamesTests {
    static let propertyNames = PropertyKind.allCases.filter { $0 != .other }.map(\.name)
        + ["X-ATTENDEE", "ATTENDEES", "UI", "UIDS", "DTSTAR", "DTSTARTX", "RECURRENCE-IDX", "LAST-MODIFIED-BY",
           "X-MICROSOFT-CDO-BUSYSTATUS", "X-WR-ALARMUID", "A", "_", "-", "ENDX"]
    static let parameterNames = ["CN", "ROLE", "PARTSTAT", "RSVP", "CUTYPE", "TZID", "VALUE", "RELATED", "ENCODING",
                                 "FMTTYPE", "LANGUAGE", "ALTREP", "C", "CNN", "ROLES", "PARTSTATX", "PARTSTA", "X-CN",
                                 "RSV", "VALU", "TZIDX", "X-NUM-GUESTS", "DELEGATED-TO", "SENT-BY", "N", "_", "-"]

    /// A name spelled in random case.
    static func spell(_ name: String, _ g: inout SystemRandomNumberGenerator) -> String {
        String(name.map { Bool.random(using: &g) ? Character($0.lowercased()) : $0 })
    }

    static func randomName(_ g: inout SystemRandomNumberGenerator) -> String {
        let alphabet = Array("ACDEILNOPRSTUVXZ-_0".utf8)
        let length = Int.random(in: 1...18, using: &g)
        return String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &g)! }, as: UTF8.self)
    }

    @Test func linesReadAsTheyWereMade() throws {
        var g = SystemRandomNumberGenerator()
        let values = ["", "x", "mailto:a@example.com", "ACCEPTED", "é日", "a\\,b", "2025-01-01"]
        for _ in 0..<4000 {
            let name = Bool.random(using: &g) ? Self.propertyNames.randomElement(using: &g)! : Self.randomName(&g)
            var parameters: [Parameter] = []
            var text = Self.spell(name, &g)
            for _ in 0..<Int.random(in: 0...5, using: &g) {
                let pname = Int.random(in: 0..<4, using: &g) > 0 ? Self.parameterNames.randomElement(using: &g)! : Self.randomName(&g)
                let v = ["x", "REQ-PARTICIPANT", "Ann Other", "a:b;c", "é"].randomElement(using: &g)!
                let quoted = v.contains(":") || v.contains(";") || Bool.random(using: &g)
                text += ";" + Self.spell(pname, &g) + "=" + (quoted ? "\"" + v + "\"" : v)
                parameters.append(Parameter(pname, v))
            }
            let value = values.randomElement(using: &g)!
            text += ":" + value
            let bytes = Array(text.utf8)
            let line = try #require(bytes.withUnsafeBufferPointer { ContentLine(buffer: $0, line: 7) }, "\(text)")
            #expect(line.property == Property(name: name, parameters: parameters, value: value), "\(text)")
            #expect(line.kind == PropertyKind(name: name), "\(text)")
            #expect(line.line == 7)
        }
    }

    @Test func linesWithoutANameAreNotContentLines() {
        for text in [":x", ";A=b:x", "NAME", "NAME x:y", "ATTENDEE", "ATT ENDEE:x", "UID.X:y", "é:x", ""] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { ContentLine(buffer: $0, line: 1) } == nil, "\(text)")
        }
    }
}
