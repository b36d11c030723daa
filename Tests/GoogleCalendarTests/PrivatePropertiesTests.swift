import CalendarModel
@testable import GoogleCalendar
import Testing

/// `extendedProperties.private` as the event mapper assembles it (the lines handed to the
/// carrier as they are made, residue lines written straight into their bytes, the items made
/// only when not everything fits) against the same built plainly: every line gathered in one
/// list, residue lines made `Property`s and written again, and `Carrier.fit` asked every time.
@Suite struct PrivatePropertiesTests {
    typealias Line = (name: String, rest: String)

    /// The residue lines restated plainly: grouped by a scan, each line a `Property`.
    static func plainResidueLines(_ residues: [(address: String, parameters: [Parameter])]) -> [Line] {
        var groups: [(parameters: [Parameter], value: String)] = []
        for (address, parameters) in residues {
            let rest = String(decoding: address.utf8.dropFirst(7), as: UTF8.self)
            if let i = groups.firstIndex(where: { $0.parameters == parameters }) {
                groups[i].value += (groups[i].value.isEmpty ? "" : ",") + rest
            } else {
                groups.append((parameters, rest))
            }
        }
        return groups.map {
            let p = Property(name: PeopleMapping.residueMarker, parameters: $0.parameters, value: $0.value)
            return (p.name, p.contentLineAfterName)
        }
    }

    /// The assembly restated plainly, with the diagnostics it gives.
    static func plainPrivateProperties(carried: [Line], residues: [PeopleMapping.Residue], foreign: [String: String],
                                       shared: [String: String]) -> ([String: String], [String]) {
        var notes: [String] = []
        var items = carried.map { Carrier.Item(worth: GoogleEventMapper.worth(of: $0.name, $0.rest), size: $0.name.utf8.count + $0.rest.utf8.count, what: $0.name) }
        var parts: [(residue: Int, worth: Carrier.Worth)] = []
        for (i, r) in residues.enumerated() {
            let worths = r.parameters.isEmpty ? [Carrier.Worth.meaning] : r.parameters.map(\.worth)
            for worth in [Carrier.Worth.meaning, .vendor, .spelling] where worths.contains(worth) {
                let size = r.parameters.filter { $0.worth == worth }.reduce(r.address.utf8.count) {
                    $0 + $1.parameter.name.utf8.count + $1.parameter.value.utf8.count + 2
                }
                parts.append((i, worth))
                items.append(Carrier.Item(worth: worth, size: size, what: "", of: r.address))
            }
        }
        func encode(_ keep: [Bool]) -> [String: String] {
            var lines = zip(carried, keep).filter(\.1).map(\.0)
            var rs: [(address: String, parameters: [Parameter])] = []
            for (i, r) in residues.enumerated() {
                let worths = parts.indices.filter { parts[$0].residue == i && keep[carried.count + $0] }.map { parts[$0].worth }
                if worths.isEmpty { continue }
                rs.append((r.address, r.parameters.filter { worths.contains($0.worth) }.map(\.parameter)))
            }
            lines += plainResidueLines(rs)
            var d = CarrierTests.plainEncode(lines)
            for (k, v) in foreign where d[k] == nil { d[k] = v }
            return d
        }
        let (dict, dropped) = Carrier.fit(items, besides: shared, encode: encode)
        if !dropped.isEmpty {
            for (k, part) in parts.enumerated() {
                items[carried.count + k].what = PeopleMapping.describe(residues[part.residue], worth: part.worth)
            }
            let all = encode(items.map { _ in true })
            let total = Carrier.size(all) + Carrier.size(shared)
            notes.append("\(total) \(all.count + shared.count) \(Carrier.describe(dropped.map { items[$0] }))")
        }
        if !Carrier.fits(dict, besides: shared) {
            notes.append("\(Carrier.size(dict) + Carrier.size(shared)) \(dict.count + shared.count)")
        }
        return (dict, notes)
    }

    static func residue(_ address: String, _ parameters: [(Parameter, Carrier.Worth)]) -> PeopleMapping.Residue {
        PeopleMapping.Residue(address: address, parameters: parameters.map { (parameter: $0.0, worth: $0.1) })
    }

    /// Events of every kind the assembly treats apart.
    static func cases() -> [(carried: [Line], residues: [PeopleMapping.Residue], foreign: [String: String], shared: [String: String])] {
        let long = String(repeating: "x", count: 1500)
        let wide = String(repeating: "é日", count: 300)
        let longName = "X-" + String(repeating: "VERY-LONG-", count: 5)
        let carried: [Line] = [
            ("X-MICROSOFT-CDO-BUSYSTATUS", ":BUSY"), ("X-GOOGLE-CONFERENCE", ":https://meet.example/a"), ("X-GOOGLE-CONFERENCE", ":https://meet.example/a"),
            ("CLASS", ":PUBLIC"), (longName, ":1"), (longName, ":2"), ("X-" + String(repeating: "É", count: 20), ":é"),
            ("X-ALT-DESC", ";FMTTYPE=text/html:" + wide), ("X-BLOB", ":" + long), ("X-BLOB", ":short"), ("X-CALPORT-FLOATING", ":TRUE"),
        ]
        let rsvp = (Parameter("RSVP", "TRUE"), Carrier.Worth.meaning)
        let individual = (Parameter("CUTYPE", "INDIVIDUAL"), Carrier.Worth.spelling)
        let vendor = (Parameter("X-VENDOR", "a:b,c"), Carrier.Worth.vendor)
        let unset = (Parameter(name: PeopleMapping.unsetParameter, values: ["ROLE", "PARTSTAT"]), Carrier.Worth.spelling)
        let few: [PeopleMapping.Residue] = [
            // An address with nothing after `mailto:` first: the next one is joined without a comma.
            residue("mailto:", [rsvp]), residue("mailto:e@example.com", [rsvp]),
            residue("mailto:a@example.com", [individual, rsvp]), residue("mailto:b@example.com", [individual, rsvp]),
            residue("mailto:jürgen@example.de", [vendor]), residue("mailto:c@example.com", []),
            residue("mailto:", [individual, rsvp]), residue("mailto:d@example.com", [unset, vendor, rsvp]),
        ]
        // More distinct sets than are found by a scan (16), and a meeting over the limits.
        let many = (0..<40).map { residue("mailto:p\($0)@example.com", [(Parameter("X-N", String($0 % 20)), .vendor), individual]) }
        let huge = (0..<200).map { residue("mailto:person\($0)@example.com", [individual, rsvp, (Parameter("X-ID", String(repeating: "\($0)", count: 40)), .vendor)]) }
        let foreign = ["other-app": "1", "X-BLOB": "not calport's", "CLASS#2": "x"]
        let blobs = (0..<40).map { ("X-BLOB-\($0)", ":" + long) }
        let essentials = (0..<310).map { _ in ("X-CALPORT-FLOATING", ":TRUE") }
        return [
            ([], [], [:], [:]),
            (carried, [], [:], [:]),
            ([], few, [:], [:]),
            (carried, few, foreign, ["s": "1"]),
            (carried, many, [:], [:]),
            (carried, few + many, foreign, [:]),
            (carried, huge, foreign, ["s": "1"]),
            (carried + blobs, few, [:], [:]),
            (essentials, few, [:], [:]),
            (essentials + blobs, huge, foreign, [:]),
        ]
    }

    @Test func aResidueKeepsEveryParametersWorthInOrder() {
        // Worths are packed two bits each for the first 32 parameters and listed after them.
        var generator = SystemRandomNumberGenerator()
        let worths: [Carrier.Worth] = [.spelling, .vendor, .meaning, .essential]
        for count in [0, 1, 2, 31, 32, 33, 40, 70] {
            let given = (0..<count).map { k in (Parameter("X-P\(k)", "v\(k)"), worths.randomElement(using: &generator)!) }
            var appended = PeopleMapping.Residue(address: "mailto:a@example.com")
            for (p, w) in given { appended.append(p, w) }
            for r in [appended, Self.residue("mailto:a@example.com", given)] {
                #expect(r.parameterList == given.map(\.0))
                #expect(r.parameters.map(\.worth) == given.map(\.1), "\(count) parameters")
                #expect(r.parameters.map(\.parameter) == given.map(\.0))
            }
        }
    }

    @Test func residueLinesAreTheLinesMadePlainly() {
        for (_, residues, _, _) in Self.cases() {
            let plain = Self.plainResidueLines(residues.map { ($0.address, $0.parameterList) }).map(\.rest)
            #expect(PeopleMapping.residueLines(residues) { residues[$0].parameterList } == plain)
            // Some residues left out, and some with part of their parameters.
            let some = residues.indices.map { $0 % 3 == 0 ? nil : $0 % 3 == 1 ? residues[$0].parameterList : Array(residues[$0].parameterList.dropFirst()) }
            let plainSome = Self.plainResidueLines(residues.indices.compactMap { i in some[i].map { (residues[i].address, $0) } }).map(\.rest)
            #expect(PeopleMapping.residueLines(residues) { some[$0] } == plainSome)
        }
    }

    @Test func privatePropertiesAreWhatThePlainAssemblyGives() {
        for (n, (carried, residues, foreign, shared)) in Self.cases().enumerated() {
            var notes: [String] = []
            let dict = GoogleEventMapper.privateProperties(carried: carried, residues: residues, foreign: foreign, besides: shared) { _, m in
                // The numbers and the list, without the wording around them.
                let numbers = m.split(separator: " ").filter { Int($0) != nil }.prefix(2).joined(separator: " ")
                if let list = m.range(of: "least valuable first: ") { notes.append(numbers + " " + m[list.upperBound...]) } else { notes.append(numbers) }
            }
            let (plain, plainNotes) = Self.plainPrivateProperties(carried: carried, residues: residues, foreign: foreign, shared: shared)
            #expect(dict == plain, "case \(n)")
            #expect(notes == plainNotes, "case \(n)")
        }
    }

    /// The cases reach what they are for: events that fit, events whose items are dropped, and
    /// an event over the limits with what cannot be dropped.
    @Test func casesCoverFittingDroppingAndOverflowing() {
        let notes = Self.cases().map { c in
            Self.plainPrivateProperties(carried: c.carried, residues: c.residues, foreign: c.foreign, shared: c.shared).1
        }
        #expect(notes.filter(\.isEmpty).count >= 5)
        #expect(notes.contains { $0.count == 1 })
        #expect(notes.contains { $0.count == 2 })
    }
}
