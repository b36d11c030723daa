import CalendarModel
@testable import ICalendar
import Testing

/// The scanner reads a component's name from its BEGIN or END line on the bytes: it agrees
/// with trimming spaces and tabs and upper-casing the Characters, on every kind of name.
@Suite struct ComponentNameTests {
    @Test func namesOnBytesAgreeWithCharacters() {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["v", "E", "event", "-", "x", " ", "\t", "é", "ß", "ǅ", "\u{301}", "1", "_", "ı"]
        var names = ["VEVENT", " vevent ", "\tVAlarm\t ", "", " ", "x-Custom-Thing", "straße", "é", " \u{301}a"]
        for _ in 0..<5000 {
            names.append((0..<Int.random(in: 0...8, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for name in names {
            let bytes = Array(name.utf8)
            let got = bytes.withUnsafeBufferPointer { ComponentScanner.trimmedUpper($0[...]) }
            #expect(got == name.trimmingSpaces().uppercased(), "\(Array(name.unicodeScalars))")
        }
    }
}
