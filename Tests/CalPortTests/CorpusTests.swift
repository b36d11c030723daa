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

    /// What Google shows: the instant of `dateTime` (its offset) and the zone of `timeZone`.
    /// No event converted from the corpus may give a `dateTime` an offset that its `timeZone`
    /// (per the system tz database, through Foundation) does not have at that instant.
    @Test(.enabled(if: Paths.corpusAvailable, "../shared/corpus is not present"))
    func noCorpusEventHasAnOffsetItsTimeZoneDoesNotHave() throws {
        let root = Paths.corpus.appendingPathComponent("ics")
        let files = FileManager.default.enumerator(atPath: root.path)!.compactMap { $0 as? String }
            .filter { $0.lowercased().hasSuffix(".ics") }.sorted()
        let out = try Paths.temporaryDirectory().appendingPathComponent("out.json")
        var checked = 0, events = 0
        var violations: [String] = []
        for f in files {
            let output = try Output(path: out.path)
            do {
                _ = try Converter(options: ConvertOptions(to: .json, mapping: .init(defaultTimeZone: "UTC")))
                    .run(input: root.appendingPathComponent(f).path, output: output, diagnostics: DiagnosticCollector())
            } catch is ConvertError { continue }
            guard let data = FileManager.default.contents(atPath: out.path),
                  let items = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["items"] as? [[String: Any]]
            else { continue }
            for item in items {
                events += 1
                for field in ["start", "end", "originalStartTime"] {
                    guard let t = item[field] as? [String: Any], let dateTime = t["dateTime"] as? String,
                          let zone = t["timeZone"] as? String else { continue }
                    checked += 1
                    if let problem = Self.disagreement(dateTime: dateTime, timeZone: zone) {
                        violations.append("\(f) \(item["iCalUID"] ?? "?") \(field): \(problem)")
                    }
                }
            }
        }
        print("corpus zone check: \(files.count) files, \(events) events, \(checked) dateTime+timeZone pairs checked, \(violations.count) violations")
        for v in violations.prefix(50) { print("  " + v) }
        #expect(checked > 1000)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    /// Why `dateTime`'s offset is not `timeZone`'s at that instant, or nil when it is.
    static func disagreement(dateTime: String, timeZone: String) -> String? {
        guard let tz = TimeZone(identifier: timeZone) else { return "timeZone \(timeZone) is not in the tz database" }
        let u = Array(dateTime.utf8)
        guard u.count >= 20 else { return "dateTime \(dateTime) has no offset" }
        var offset = 0
        if u.last == UInt8(ascii: "Z") {
            offset = 0
        } else {
            let tail = String(dateTime.suffix(6))
            let sign = tail.first == "-" ? -1 : 1
            let parts = tail.dropFirst().split(separator: ":")
            guard tail.first == "+" || tail.first == "-", parts.count == 2, let h = Int(parts[0]), let m = Int(parts[1]) else {
                return "dateTime \(dateTime) has no offset"
            }
            offset = sign * (h * 3600 + m * 60)
        }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(secondsFromGMT: 0)
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        guard let wall = f.date(from: String(dateTime.prefix(19))) else { return "dateTime \(dateTime) is not RFC 3339" }
        let instant = wall.addingTimeInterval(Double(-offset))
        let zoneOffset = tz.secondsFromGMT(for: instant)
        return zoneOffset == offset ? nil : "\(dateTime) but \(timeZone) is UTC\(zoneOffset >= 0 ? "+" : "-")\(abs(zoneOffset) / 3600)h\(abs(zoneOffset) % 3600 / 60 > 0 ? String(abs(zoneOffset) % 3600 / 60) + "m" : "") then"
    }
}
