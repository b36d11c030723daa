@testable import CalPort
import Foundation
import Testing

/// What the push journal says when a run is taken up again, however often.
struct PushJournalTests {
    static func entry(_ uid: String) -> PushPlanEntry {
        PushPlanEntry(key: EventKey(uid: uid, instance: nil), action: .create)
    }

    /// A run of 1,000 interrupted three times: each resume counts what is done against the
    /// run's whole plan, never against what was left the time before.
    @Test func aResumedResumeCountsAgainstTheWholeRun() throws {
        let dir = try Paths.temporaryDirectory().path
        var done = 0
        var said: [(done: Int, planned: Int)] = []
        for sentThisRun in [600, 300, 50] {
            let journal = try PushJournal(directory: dir, calendarId: "cal")
            try journal.begin(calendarId: "cal", input: "in.ics", mode: .import, planned: 1_000 - done)
            if let r = journal.resumed { said.append((r.done, r.planned)) }
            let batch = (done..<(done + sentThisRun)).map { Self.entry("e\($0)") }
            try journal.sending(batch)
            try journal.finished(batch.map { (key: $0.key, googleId: "g\($0.key.uid)", error: nil) }, calendarId: "cal")
            done += sentThisRun
            journal.close()
        }
        #expect(said.map(\.done) == [600, 900])
        #expect(said.map(\.planned) == [1_000, 1_000])
    }
}
