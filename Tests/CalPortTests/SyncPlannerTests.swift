@testable import CalPort
import CalendarModel
import Foundation
import GoogleCalendar
import Testing

/// The decisions of two-way sync, one UID at a time, without I/O.
@Suite("sync decisions")
struct SyncPlannerTests {
    static func event(_ summary: String, location: String? = nil, uid: String = "a@x") -> [SyncEvent] {
        var e = Event()
        e.uid = uid
        e.summary = summary
        e.location = location
        e.start = .utc(LocalDateTime(year: 2026, month: 12, day: 8, hour: 9))
        e.end = .utc(LocalDateTime(year: 2026, month: 12, day: 8, hour: 10))
        return [SyncEvent(instance: nil, event: e)]
    }

    static func side(_ events: [SyncEvent]) -> SyncSideState { .present(events: events, hash: SyncNormalForm.hash(events)) }

    static func record(_ agreed: [SyncEvent]) -> SyncState.Record {
        var g = GoogleEvent()
        g.id = "g1"
        return SyncState.Record(uid: "a@x", localId: "a@x.ics", localVersion: "v1", localHash: SyncNormalForm.hash(agreed),
                                google: [g], googleHash: SyncNormalForm.hash(agreed), agreed: agreed)
    }

    let decider = SyncDecider(policy: .merge)

    @Test func unchangedOnBothSidesDoesNothing() {
        let base = Self.event("Stand-up")
        #expect(decider.decide(record: Self.record(base), local: Self.side(base), google: Self.side(base)) == .none)
    }

    @Test func aChangeOnOneSideIsCopiedToTheOther() {
        let base = Self.event("Stand-up"), edited = Self.event("Stand-up (moved)")
        #expect(decider.decide(record: Self.record(base), local: Self.side(edited), google: Self.side(base))
            == .put(local: nil, google: edited))
        #expect(decider.decide(record: Self.record(base), local: Self.side(base), google: Self.side(edited))
            == .put(local: edited, google: nil))
    }

    @Test func differentFieldsChangedOnEachSideMerge() {
        let base = Self.event("Stand-up")
        let local = Self.event("Stand-up (moved)")
        let google = Self.event("Stand-up", location: "Room 4")
        let merged = Self.event("Stand-up (moved)", location: "Room 4")
        #expect(decider.decide(record: Self.record(base), local: Self.side(local), google: Self.side(google))
            == .put(local: merged, google: merged))
    }

    @Test func theSameFieldChangedOnBothSidesFollowsThePolicy() {
        let base = Self.event("Stand-up"), local = Self.event("Local title"), google = Self.event("Google title")
        let r = Self.record(base)
        #expect(SyncDecider(policy: .merge).decide(record: r, local: Self.side(local), google: Self.side(google))
            == .conflict(["SUMMARY of the series"]))
        #expect(SyncDecider(policy: .fail).decide(record: r, local: Self.side(local), google: Self.side(google))
            == .conflict(["changed on both sides"]))
        #expect(SyncDecider(policy: .local).decide(record: r, local: Self.side(local), google: Self.side(google))
            == .put(local: nil, google: local))
        #expect(SyncDecider(policy: .google).decide(record: r, local: Self.side(local), google: Self.side(google))
            == .put(local: google, google: nil))
        #expect(SyncDecider(policy: .newer).decide(record: r, local: Self.side(local), google: Self.side(google),
                                                   localModified: 200, googleModified: 100) == .put(local: nil, google: local))
        #expect(SyncDecider(policy: .newer).decide(record: r, local: Self.side(local), google: Self.side(google),
                                                   localModified: 100, googleModified: 200) == .put(local: google, google: nil))
    }

    @Test func bothSidesChangedAlikeIsNotAConflict() {
        let base = Self.event("Stand-up"), both = Self.event("Same edit")
        #expect(decider.decide(record: Self.record(base), local: Self.side(both), google: Self.side(both)) == .link)
    }

    @Test func deletedOnOneSideAndUnchangedOnTheOtherIsDeleted() {
        let base = Self.event("Stand-up")
        #expect(decider.decide(record: Self.record(base), local: .absent, google: Self.side(base)) == .delete(.google))
        #expect(decider.decide(record: Self.record(base), local: Self.side(base), google: .absent) == .delete(.local))
        #expect(decider.decide(record: Self.record(base), local: .absent, google: .absent) == .forget)
    }

    @Test func anEditWinsOverADeletionOnTheOtherSide() {
        let base = Self.event("Stand-up"), edited = Self.event("Edited")
        #expect(decider.decide(record: Self.record(base), local: .absent, google: Self.side(edited)) == .put(local: edited, google: nil))
        #expect(decider.decide(record: Self.record(base), local: Self.side(edited), google: .absent) == .put(local: nil, google: edited))
    }

    @Test func anUnreadableLocalEntryIsNeverADeletion() {
        let base = Self.event("Stand-up")
        #expect(decider.decide(record: Self.record(base), local: .unknown("a.ics: line 3: bad"), google: Self.side(base))
            == .unknown("a.ics: line 3: bad"))
    }

    @Test func aFirstSyncLinksEqualEventsAndCopiesOneSidedOnes() {
        let e = Self.event("Stand-up")
        #expect(decider.decide(record: nil, local: Self.side(e), google: Self.side(e)) == .link)
        #expect(decider.decide(record: nil, local: Self.side(e), google: .absent) == .put(local: nil, google: e))
        #expect(decider.decide(record: nil, local: .absent, google: Self.side(e)) == .put(local: e, google: nil))
    }

    @Test func excludedEventsStayAsTheyAre() {
        var r = Self.record(Self.event("Stand-up"))
        r.excluded = true
        #expect(decider.decide(record: r, local: Self.side(Self.event("Edited")), google: .absent) == .none)
    }

    @Test func guestsResponsesComeFromGoogleInAMerge() {
        var base = Self.event("Stand-up")
        var guest = CalendarUser(address: "mailto:guest@example.com")
        guest.participationStatus = .needsAction
        base[0].event.attendees = [guest]
        var local = base
        local[0].event.summary = "Renamed"
        local[0].event.attendees[0].participationStatus = .declined  // a stale local copy
        var google = base
        google[0].event.attendees[0].participationStatus = .accepted
        google[0].event.location = "Room 4"
        let m = SyncMerge.merge(base: base, local: local, google: google)
        #expect(m.conflicts.isEmpty)
        #expect(m.events.first?.event.attendees.first?.participationStatus == .accepted)
        #expect(m.events.first?.event.summary == "Renamed")
        #expect(m.events.first?.event.location == "Room 4")
    }

    @Test func anOverrideAddedOnOneSideJoinsTheSeries() {
        let base = Self.event("Weekly")
        var override = Self.event("Moved once")[0]
        override.instance = "20261215T090000Z"
        let m = SyncMerge.merge(base: base, local: base + [override], google: base)
        #expect(m.conflicts.isEmpty)
        #expect(m.events.map(\.instance) == [nil, "20261215T090000Z"])
    }

    @Test func deletionLimits() {
        #expect(DeletionLimit().allowed(known: 10) == 5)
        #expect(DeletionLimit().allowed(known: 1000) == 100)
        #expect(DeletionLimit(argument: "20%")?.allowed(known: 50) == 10)
        #expect(DeletionLimit(argument: "3")?.allowed(known: 1000) == 3)
        #expect(DeletionLimit(argument: "many") == nil)
        #expect(DeletionLimit(argument: "120%") == nil)
    }

    @Test func theStateKeepsRecordsAndTakesALock() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("calport-syncstate-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var records: [SyncState.Record] = []
        do {
            let state = try SyncState(directory: dir, localPath: "/cal", calendarId: "c@x", account: "default")
            records = [Self.record(Self.event("Stand-up"))]
            try state.save(records)
            try state.setSyncToken("t1")
            #expect(throws: Failure.self) {
                _ = try SyncState(directory: dir, localPath: "/cal", calendarId: "c@x", account: "default")
            }
            do {
                _ = try SyncState(directory: dir, localPath: "/cal", calendarId: "c@x", account: "default")
            } catch let f as Failure {
                #expect(f.outcome == .locked)
            }
        }
        let again = try SyncState(directory: dir, localPath: "/cal", calendarId: "c@x", account: "default")
        #expect(try again.records()["a@x"] == records[0])
        #expect(try again.syncToken == "t1")
        try again.enqueueDeletions([("g1", "a@x", nil), ("g2", "b@x", "e")])
        try again.dequeueDeletion("g1")
        #expect(try again.queuedDeletions().map(\.googleId) == ["g2"])
    }
}
