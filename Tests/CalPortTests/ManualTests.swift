import Foundation
import Testing

/// The man pages' ENVIRONMENT section is calport's one list of the variables it reads
/// (Sources/calport/Manual.swift, printed by `calport --manual-section environment`).
@Suite struct ManualTests {
    /// Variable names that appear as string literals in the sources calport is built from.
    static func variablesReadBySources() throws -> Set<String> {
        let sources = Paths.repository.appendingPathComponent("Sources")
        let pattern = try NSRegularExpression(pattern: #""((?:CALPORT|XDG)_[A-Z_]+|SOURCE_DATE_EPOCH|TZDIR)""#)
        var names = Set<String>()
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            // The fake Google is a test server, not part of what is installed.
            guard file.pathExtension == "swift", !file.path.contains("FakeGoogle"), !file.path.contains("fake-google") else { continue }
            let text = try String(contentsOf: file, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                names.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        return names
    }

    @Test func everyVariableTheSourcesReadIsInTheManPage() throws {
        let read = try Self.variablesReadBySources()
        #expect(read.contains("CALPORT_CONFIG_DIR") && read.contains("TZDIR"), "the scan found \(read)")
        let section = try calport(["--manual-section", "environment"])
        #expect(section.status == 0, "\(section.stderr)")
        let documented = Set(section.stdoutText.split(separator: "\n")
            .filter { $0.hasPrefix(".It Ev ") }
            .flatMap { $0.dropFirst(".It Ev ".count).split(separator: " ").filter { $0 != "," }.map(String.init) })
        #expect(read.subtracting(documented).isEmpty, "read but not documented: \(read.subtracting(documented).sorted())")
    }
}
