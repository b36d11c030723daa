import Foundation
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct RecurrenceTests {
    static var weekly: [String: Any] { [
        "summary": "Weekly sync", "iCalUID": "weekly@calport.example",
        "start": ["dateTime": "2026-03-02T09:00:00+01:00", "timeZone": "Europe/Berlin"],
        "end": ["dateTime": "2026-03-02T09:30:00+01:00", "timeZone": "Europe/Berlin"],
        "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20260309T090000"],
    ] }

    @Test func exceptionsInstancesAndSingleEvents() async throws {
        let fake = try Fake()
        let master = try await fake.importEvent(Self.weekly)
        #expect(master.status == 200)
        let id = try #require(master["id"] as? String)

        // Instances keep 09:00 Berlin across the DST change of 29 March (08:00 UTC, then 07:00 UTC).
        let instances = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)/instances")
        #expect(instances.status == 200)
        #expect(instances.ids == ["20260302T080000Z", "20260316T080000Z", "20260323T080000Z", "20260330T070000Z", "20260406T070000Z"].map { id + "_" + $0 })

        // An override for 16 March, by import with recurringEventId + originalStartTime.
        let override = try await fake.importEvent([
            "summary": "Weekly sync (moved)", "iCalUID": "weekly@calport.example", "recurringEventId": id,
            "originalStartTime": ["dateTime": "2026-03-16T09:00:00+01:00", "timeZone": "Europe/Berlin"],
            "start": ["dateTime": "2026-03-16T11:00:00+01:00", "timeZone": "Europe/Berlin"],
            "end": ["dateTime": "2026-03-16T11:30:00+01:00", "timeZone": "Europe/Berlin"],
        ])
        #expect(override.status == 200)
        #expect(override["id"] as? String == id + "_20260316T080000Z")
        // Not an occurrence: refused. The same occurrence again: duplicate.
        var wrong = Self.weekly
        wrong["recurringEventId"] = id
        wrong["originalStartTime"] = ["dateTime": "2026-03-17T09:00:00+01:00", "timeZone": "Europe/Berlin"]
        wrong.removeValue(forKey: "recurrence")
        #expect(try await fake.importEvent(wrong).status == 400)
        wrong["originalStartTime"] = ["dateTime": "2026-03-16T09:00:00+01:00", "timeZone": "Europe/Berlin"]
        #expect(try await fake.importEvent(wrong).status == 409)

        // Cancel 23 March through its instance id.
        #expect(try await fake.send("DELETE", "calendar/v3/calendars/primary/events/\(id)_20260323T080000Z").status == 204)
        // An instance that was never modified can be read by id.
        let virtual = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)_20260330T070000Z")
        #expect(virtual.status == 200)
        #expect(virtual["recurringEventId"] as? String == id)
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)_20260331T070000Z").status == 404)

        // singleEvents=false: the master, the override and the cancelled instance (a tombstone).
        let plain = try await fake.events()
        #expect(plain.ids == [id, id + "_20260316T080000Z", id + "_20260323T080000Z"])
        let tombstone = plain.items[2]
        #expect(tombstone["status"] as? String == "cancelled")
        #expect(tombstone["recurringEventId"] as? String == id)
        #expect(tombstone["originalStartTime"] != nil)
        #expect(tombstone["summary"] == nil)

        // iCalUID lists the master and its exceptions.
        #expect(try await fake.events("iCalUID=" + percentEncoded("weekly@calport.example")).items.count == 3)

        // singleEvents=true: expanded, override in place, cancelled and EXDATE'd ones gone.
        let single = try await fake.events("singleEvents=true&orderBy=startTime")
        #expect(single.status == 200)
        #expect(single.items.map { ($0["start"] as? [String: Any])?["dateTime"] as? String } == [
            "2026-03-02T09:00:00+01:00", "2026-03-16T11:00:00+01:00", "2026-03-30T09:00:00+02:00", "2026-04-06T09:00:00+02:00",
        ])

        // Deleting the series cancels it all.
        #expect(try await fake.send("DELETE", "calendar/v3/calendars/primary/events/\(id)").status == 204)
        #expect(try await fake.events().items.isEmpty)
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)/instances").status == 410)
    }

    @Test func allDayExceptionIds() async throws {
        let fake = try Fake()
        let master = try await fake.insert([
            "summary": "Daily", "start": ["date": "2026-03-02"], "end": ["date": "2026-03-03"],
            "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20260305"],
        ])
        let id = try #require(master["id"] as? String)
        let instances = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)/instances")
        #expect(instances.ids == ["20260302", "20260303", "20260304", "20260305"].map { id + "_" + $0 })
        let patched = try await fake.send("PATCH", "calendar/v3/calendars/primary/events/\(id)_20260304", json: ["summary": "Special"])
        #expect(patched.status == 200)
        #expect(patched["recurringEventId"] as? String == id)
        #expect(try await fake.events().ids == [id, id + "_20260304"])
    }

    @Test func unsupportedRulesAreStoredButNotExpanded() async throws {
        let fake = try Fake()
        let master = try await fake.insert([
            "summary": "Monthly", "start": ["dateTime": "2026-03-02T09:00:00Z", "timeZone": "UTC"],
            "end": ["dateTime": "2026-03-02T10:00:00Z", "timeZone": "UTC"],
            "recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=1MO"],
        ])
        #expect(master.status == 200)
        let id = try #require(master["id"] as? String)
        let instances = try await fake.send("GET", "calendar/v3/calendars/primary/events/\(id)/instances")
        #expect(instances.status == 400)
        #expect(instances.message?.contains("not supported by the fake") == true)
        #expect(try await fake.events("singleEvents=true").status == 400)
        #expect(try await fake.insert(["summary": "Bad", "start": ["date": "2026-03-02"], "end": ["date": "2026-03-03"],
                                       "recurrence": ["RRULE:FREQ=SOMETIMES"]]).status == 400)
    }

    @Test func expansionUnit() throws {
        let zone = TimeZone(identifier: "UTC")!
        let start = try #require(EventTimeValue(.object(["date": .string("2024-01-31")]), calendarZone: zone))
        let monthly = try RecurrenceExpansion(lines: ["RRULE:FREQ=MONTHLY;COUNT=4"], start: start, calendarZone: zone)
        #expect(monthly.occurrences(through: nil, limit: 100).map(\.idStamp) == ["20240131", "20240331", "20240531", "20240731"])
        let weekly = try RecurrenceExpansion(lines: ["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;INTERVAL=2;COUNT=5"], start: start, calendarZone: zone)
        #expect(weekly.occurrences(through: nil, limit: 100).map(\.idStamp) == ["20240131", "20240202", "20240212", "20240214", "20240216"])
        let yearly = try RecurrenceExpansion(lines: ["RRULE:FREQ=YEARLY", "RDATE;VALUE=DATE:20240615"], start: start, calendarZone: zone)
        #expect(yearly.occurrences(through: nil, limit: 3).map(\.idStamp) == ["20240131", "20240615", "20250131", "20260131"])
        #expect(throws: RecurrenceExpansion.Failure.self) {
            try RecurrenceExpansion(lines: ["RRULE:FREQ=DAILY;BYHOUR=9"], start: start, calendarZone: zone)
        }
    }
}
