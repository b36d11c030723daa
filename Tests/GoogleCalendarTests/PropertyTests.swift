import CalendarModel
import Foundation
@testable import GoogleCalendar
import Testing

/// Random events from the model, through Google's JSON and back: nothing may change.
@Suite struct PropertyTests {
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.count)) }
        mutating func bool() -> Bool { next() % 2 == 0 }
        mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }
        mutating func text() -> String {
            let words = ["plan", "Café", "a;b", "c,d", "back\\slash", "new\nline", "東京", "🎉", "\"quoted\"", "  spaced  "]
            return (0..<int(1...4)).map { _ in pick(words) }.joined(separator: " ")
        }
    }

    static let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "Australia/Sydney", "America/Sao_Paulo", "Asia/Kolkata"]

    static func randomEvent(_ g: inout Generator, index: Int) -> Event {
        var e = Event()
        e.uid = "prop-\(index)@calport.test"
        let date = LocalDate(year: g.int(2000...2035), month: g.int(1...12), day: g.int(1...28))
        let local = LocalDateTime(date: date, hour: g.int(0...23), minute: g.pick([0, 15, 30, 45]), second: 0)
        let zone = g.pick(zones)
        let offset = TimeZoneNames.utcOffset(tzid: zone, at: local)!
        switch g.int(0...3) {
        case 0:
            e.start = .date(date)
            e.end = .date(date.adding(days: g.int(1...5)))
        case 1:
            e.start = .utc(local)
            e.end = .utc(local.adding(seconds: g.int(1...48) * 900))
        case 2:
            e.start = .zoned(local, tzid: zone, utcOffset: offset)
            e.duration = ICalDuration(hours: g.int(0...5), minutes: g.pick([0, 30]))
            if e.duration!.totalSeconds == 0 { e.duration = ICalDuration(minutes: 45) }
        default:
            e.start = .zoned(local, tzid: zone, utcOffset: offset)
            let endLocal = local.adding(seconds: g.int(1...16) * 1800)
            e.end = .zoned(endLocal, tzid: zone, utcOffset: TimeZoneNames.utcOffset(tzid: zone, at: endLocal)!)
        }
        if g.bool() { e.summary = g.text() }
        if g.bool() { e.description = g.text() }
        if g.bool() { e.location = g.text() }
        if g.bool() { e.status = g.pick(Status.allCases) }
        if g.bool() { e.transparency = g.pick(Transparency.allCases) }
        if g.bool() { e.classification = g.pick([.public, .private, .confidential, "X-SECRET"]) }
        if g.bool() { e.sequence = g.int(0...9) }
        if g.bool() { e.priority = g.int(0...9) }
        if g.bool() { e.categories = (0..<g.int(1...3)).map { _ in g.text() } }
        if g.bool() { e.url = "https://example.com/e/\(index)" }
        if g.bool() { e.color = g.pick(["red", "navy", "teal", "gold"]) }
        if g.bool() { e.created = LocalDateTime(year: 2020, month: 1, day: g.int(1...28), hour: 8) }
        if g.bool() { e.lastModified = LocalDateTime(year: 2021, month: 2, day: g.int(1...28), hour: 9) }
        if g.bool(), !e.start!.isDate || g.bool() {
            e.recurrenceRules = [g.pick(["FREQ=DAILY;COUNT=5", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12", "FREQ=YEARLY"])]
        }
        if g.bool() {
            var o = CalendarUser(address: "mailto:org\(index)@example.com")
            o.commonName = g.bool() ? "Org, \(index)" : nil
            if g.bool() { o.parameters = [Parameter("SENT-BY", "mailto:assistant@example.com")] }
            e.organizer = o
        }
        for k in 0..<g.int(0...4) {
            var a = CalendarUser(address: g.int(0...9) == 0 ? "urn:uuid:\(index)-\(k)" : "mailto:p\(k)@example.com")
            if g.bool() { a.commonName = g.text() }
            a.role = g.pick([nil, "REQ-PARTICIPANT", "OPT-PARTICIPANT", "CHAIR"])
            a.participationStatus = g.pick([nil, "ACCEPTED", "DECLINED", "TENTATIVE", "NEEDS-ACTION", "DELEGATED"])
            a.userType = g.pick([nil, "INDIVIDUAL", "RESOURCE", "ROOM"])
            if g.bool() { a.rsvp = g.bool() }
            if g.bool() { a.parameters.append(Parameter("X-NUM-GUESTS", String(g.int(0...3)))) }
            e.attendees.append(a)
        }
        for _ in 0..<g.int(0...3) {
            var a = Alarm(action: g.pick(["DISPLAY", "AUDIO", "EMAIL"]),
                          trigger: g.bool() ? .relative(ICalDuration(isNegative: true, minutes: g.int(0...200)), relatedToEnd: g.int(0...4) == 0)
                                            : .absolute(LocalDateTime(year: 2030, month: 1, day: 1, hour: g.int(0...23))))
            if g.bool() { a.description = g.text() }
            e.alarms.append(a)
        }
        if g.bool() { e.properties.append(Property(name: "X-RANDOM", parameters: [Parameter(name: "X-P", values: ["a:b", "c"])], value: "v\\,\(index)")) }
        if g.bool() { e.propertyParameters["SUMMARY"] = [Parameter("LANGUAGE", "de")] }
        return e
    }

    /// What the mapping keeps equal, ignoring the RFC defaults Google writes out explicitly.
    static func normalised(_ e: Event) -> Event {
        var e = e
        for i in e.attendees.indices {
            if e.attendees[i].role == "REQ-PARTICIPANT" { e.attendees[i].role = nil }
            if e.attendees[i].participationStatus == "NEEDS-ACTION" { e.attendees[i].participationStatus = nil }
            if e.attendees[i].userType == "INDIVIDUAL" { e.attendees[i].userType = nil }
        }
        e.properties.sort { $0.name < $1.name }
        // The order of ATTENDEE properties and of VALARMs carries no meaning in iCalendar.
        e.attendees.sort { "\($0)" < "\($1)" }
        e.alarms.sort { "\($0)" < "\($1)" }
        return e
    }

    @Test func randomEventsSurviveBothMappings() throws {
        var g = Generator(state: 0x5EED)
        let mapper = GoogleEventMapper()
        var failures: [String] = []
        for i in 0..<500 {
            let e = Self.randomEvent(&g, index: i)
            var diags: [Diagnostic] = []
            let google = mapper.googleEvent(from: e) { diags.append($0) }
            let json = try JSONEncoder().encode(google)
            let decoded = try JSONDecoder().decode(GoogleEvent.self, from: json)
            let back = mapper.event(from: decoded) { diags.append($0) }
            if Self.normalised(back) != Self.normalised(e) {
                let a = Mirror(reflecting: Self.normalised(e)).children, b = Array(Mirror(reflecting: Self.normalised(back)).children)
                let fields = zip(a, b).filter { "\($0.value)" != "\($1.value)" }.map { "\($0.label ?? "?"): \($0.value) -> \($1.value)" }
                failures.append("event \(i): " + fields.joined(separator: "; "))
            }
            #expect(!diags.contains { $0.severity == .error }, "\(diags)")
        }
        #expect(failures.isEmpty, "\(failures.count) of 500 differ:\n\(failures.prefix(8).joined(separator: "\n"))")
    }
}
