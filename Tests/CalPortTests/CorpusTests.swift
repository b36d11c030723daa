import CalPort
import CalendarModel
import Foundation
import Testing

/// Every public .ics file in ../shared/corpus converts or fails with a diagnostic; none crashes.
@Suite struct CorpusTests {
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func everyCorpusFileConvertsOrIsDiagnosed() throws {
        let root = Paths.corpus.appendingPathComponent("ics")
        let files = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }
            .filter { $0.lowercased().hasSuffix(".ics") }.sorted()
        #expect(files.count > 1000)
        let out = try Paths.temporaryDirectory().appendingPathComponent("out.json")
        var converted = 0, rejected = 0, events = 0
        for f in files {
            let diagnostics = DiagnosticCollector()
            let output = try Output(path: out.path)
            do {
                let s = try Converter(options: ConvertOptions(to: .json, mapping: .init(defaultTimeZone: "UTC")))
                    .run(input: root.appendingPathComponent(f).path, output: output, diagnostics: diagnostics)
                converted += 1
                events += s.events
                if s.errors > 0 {
                    #expect(diagnostics.diagnostics.contains { $0.severity == .error }, "\(f)")
                }
            } catch let e as ConvertError {
                rejected += 1
                #expect(!e.description.isEmpty, "\(f) was rejected without a reason")
            }
        }
        print("corpus: \(files.count) files, \(converted) converted (\(events) events), \(rejected) rejected with a diagnostic")
        #expect(converted > files.count * 9 / 10)
    }
}
