import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// Round trips over other projects' files, proven with `verify`'s occurrence comparison.
@Suite struct RoundTripTests {
    static let mapping = MappingOptions(defaultTimeZone: "UTC")

    /// Converts `path` to `format` in a temporary directory; nil when the conversion fails.
    static func convert(_ path: String, to format: Format, in dir: URL) -> URL? {
        let out = dir.appendingPathComponent("out." + format.rawValue)
        try? FileManager.default.removeItem(at: out)
        guard let output = try? Output(path: out.path) else { return nil }
        do {
            _ = try Converter(options: ConvertOptions(to: format, mapping: mapping)).run(input: path, output: output, diagnostics: DiagnosticCollector())
        } catch { return nil }
        return out
    }

    /// `asGoogle`: B is read from Google's own fields, the carrier ignored (what Google shows).
    static func verify(_ a: String, _ b: String, asGoogle: Bool = false) throws -> Verifier.Report {
        let sink = DiagnosticCollector()
        let x = try CalendarLoader.load(path: a, mapping: mapping, diagnostics: sink)
        var googleView = mapping
        googleView.readsCarrier = !asGoogle
        let y = try CalendarLoader.load(path: b, mapping: googleView, diagnostics: sink)
        return Verifier(options: .init(limitPerSeries: 500)).compare(x, y, floatingZoneA: x.document.info.timeZone ?? "UTC", floatingZoneB: y.document.info.timeZone ?? "UTC")
    }

    /// ics -> Google JSON -> ics keeps every occurrence of every corpus file that converts.
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func icsThroughGoogleAndBack() throws {
        let root = Paths.corpus.appendingPathComponent("ics")
        let files = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }
            .filter { $0.lowercased().hasSuffix(".ics") }.sorted()
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var converting = 0, equivalent = 0, occurrences = 0, asGoogle = 0, sameOccurrences = 0
        var failures: [String] = [], googleFailures: [String] = []
        for f in files {
            let source = root.appendingPathComponent(f).path
            guard let json = Self.convert(source, to: .json, in: dir) else { continue }
            // What Google shows: the JSON read from Google's own fields, the carrier ignored.
            let seen = try Self.verify(source, json.path, asGoogle: true)
            // The same occurrences at the same times: nothing missing, extra, moved or resized
            // (alarms and guests Google cannot hold are the other differences).
            if !seen.differences.contains(where: { $0.kind != .changed || ["start", "end", "status"].contains($0.field ?? "") }) {
                sameOccurrences += 1
            }
            if seen.equivalent { asGoogle += 1 } else {
                googleFailures.append("\(f): \(seen.differences.count) differences, first: \(seen.differences[0])")
            }
            let ics = dir.appendingPathComponent("back.ics")
            try? FileManager.default.removeItem(at: ics)
            guard let back = Self.convert(json.path, to: .ics, in: dir) else { failures.append("\(f): JSON did not convert back"); continue }
            try FileManager.default.moveItem(at: back, to: ics)
            converting += 1
            let report = try Self.verify(source, ics.path)
            occurrences += report.occurrencesA
            if report.equivalent { equivalent += 1 } else {
                failures.append("\(f): \(report.differences.count) differences, first: \(report.differences[0])")
            }
        }
        let share = Double(equivalent) / Double(max(converting, 1)) * 100
        let googleShare = Double(asGoogle) / Double(max(converting, 1)) * 100
        print("round trip: \(equivalent) of \(converting) converting corpus files verify-equivalent after ics -> json -> ics (\(String(format: "%.1f", share))%), \(occurrences) occurrences compared")
        let occurrenceShare = Double(sameOccurrences) / Double(max(converting, 1)) * 100
        print("as Google shows it: \(asGoogle) of \(converting) converting corpus files verify-equivalent to their Google JSON read without the carrier (\(String(format: "%.1f", googleShare))%); \(sameOccurrences) (\(String(format: "%.1f", occurrenceShare))%) have the same occurrences at the same times")
        for f in failures.prefix(60) { print("round trip: \(f)") }
        for f in googleFailures.prefix(200) { print("as Google shows it: \(f)") }
        #expect(converting > 1500)
        #expect(share >= RoundTripTests.minimumShare, "\(failures.prefix(10).joined(separator: "\n"))")
        #expect(googleShare >= RoundTripTests.minimumGoogleShare, "\(googleFailures.prefix(10).joined(separator: "\n"))")
        #expect(occurrenceShare >= 99, "\(googleFailures.prefix(10).joined(separator: "\n"))")
    }

    /// The share measured when this test was written; a change that lowers it fails.
    static let minimumShare = 99.5
    /// The same, judged as Google shows the JSON (the carrier ignored).
    static let minimumGoogleShare = 98.5

    /// Every Google JSON document of the corpus converts to .ics and back equivalent.
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func googleJSONThroughICalendarAndBack() throws {
        let root = Paths.corpus.appendingPathComponent("google-json")
        let files = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".json") }.sorted()
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var converted = 0, equivalent = 0
        var failures: [String] = []
        for f in files {
            let source = root.appendingPathComponent(f).path
            guard let ics = Self.convert(source, to: .ics, in: dir) else { failures.append("\(f): not convertible"); continue }
            let icsCopy = dir.appendingPathComponent("copy.ics")
            try? FileManager.default.removeItem(at: icsCopy)
            try FileManager.default.moveItem(at: ics, to: icsCopy)
            guard let back = Self.convert(icsCopy.path, to: .json, in: dir) else { failures.append("\(f): .ics did not convert back"); continue }
            converted += 1
            let report = try Self.verify(source, back.path)
            if report.equivalent { equivalent += 1 } else { failures.append("\(f): \(report.differences.prefix(3).map(\.description))") }
        }
        print("google json: \(equivalent) of \(converted) documents verify-equivalent after json -> ics -> json; \(files.count) files")
        for f in failures { print("google json: \(f)") }
        #expect(converted > 0)
        #expect(equivalent == converted, "\(failures.joined(separator: "\n"))")
    }
}
