@testable import CalendarModel
import Testing

/// Common parameter names are given as constant Strings, recognised by a switch on their packed
/// bytes: each must come back as itself in any case, and no other name as one of them.
@Suite struct CommonParameterNameTests {
    static func common(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { Property.commonParameterName($0, 0..<$0.count) }
    }

    @Test func eachCommonNameInAnyCaseIsItself() {
        for name in Property.commonParameterNames {
            for spelled in [name, name.lowercased(), name.prefix(1) + name.dropFirst().lowercased()] {
                #expect(Self.common(spelled) == name, "\(spelled)")
            }
        }
    }

    @Test func otherNamesAreNotCommon() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("ACDEGILNOPRSTUVYZ-".utf8)
        var names = ["C", "CNN", "X-CN", "ROLES", "PARTSTA", "PARTSTATX", "RSV", "VALU", "TZIDX", "ENCODINGS", ""]
        for _ in 0..<20_000 {
            names.append(String(decoding: (0..<Int.random(in: 1...9, using: &g)).map { _ in alphabet.randomElement(using: &g)! }, as: UTF8.self))
        }
        for name in names {
            let expected = Property.commonParameterNames.first { $0 == name.uppercased() }
            #expect(Self.common(name) == expected, "\(name)")
        }
    }
}
