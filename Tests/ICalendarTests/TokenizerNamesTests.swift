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

/// The byte-level shortcuts beside the general readings they stand in for.
@Suite struct NameBytesTests {
    @Test func aNamePackedFromItsKnownEndIsThePackedName() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("AaBcDeIiMNoRsTUvXYZz-_09".utf8)
        for _ in 0..<5000 {
            let name = (0..<Int.random(in: 1...20, using: &g)).map { _ in alphabet.randomElement(using: &g)! }
            let line = name + Array((Bool.random(using: &g) ? ";X=1:v" : ":v").utf8)
            line.withUnsafeBufferPointer { u in
                let end = Property.nameEnd(u)
                #expect(end == name.count)
                let packed = ContentLine.packedName(u, nameEnd: name.count), expected = RawComponentText.packedName(u)
                #expect(packed?.0 == expected?.0 && packed?.1 == expected?.1, "\(String(decoding: line, as: UTF8.self))")
            }
        }
    }

    @Test func aTZIDParameterIsFoundAsBothSearchesFoundIt() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array(";;TZIDtzid==:Xx".utf8)
        var cases: [[UInt8]] = [";TZID=", ";tzid=", ";TZID", "TZID=", ";TzId=", ";;TZID=", "x;TZID=", ";TZID=x", ";tZID=", ";TZIDX="].map { Array($0.utf8) }
        for _ in 0..<20_000 { cases.append((0..<Int.random(in: 0...14, using: &g)).map { _ in alphabet.randomElement(using: &g)! }) }
        for bytes in cases {
            bytes.withUnsafeBytes { b in
                let expected = Bytes.contains(b, Array(";TZID=".utf8)) || Bytes.contains(b, Array(";tzid=".utf8))
                #expect(ICalendarReader.hasTZIDParameter(b) == expected, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
