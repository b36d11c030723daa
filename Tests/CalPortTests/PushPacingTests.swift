import CalPort
import FakeGoogle
import Foundation
import Testing

/// `calport push` at Google's limits: a per-user quota with a sliding window, a Google that
/// refuses every write, and the --max-wait option.
@Suite struct PushPacingTests {
    @Test func pushUnderAQuotaLandsEveryEventWithoutHammering() async throws {
        let h = try PushHarness()
        let source = try h.generate(events: 300, seed: 11)
        // Google's per-user sliding window, shrunk for a test: 120 calls in any 3 s.
        h.fake.rateLimit = .init(calls: 120, per: .seconds(3))
        let run = try h.push(source, ["--report", h.path("quota.json")])
        #expect([0, 3].contains(run.status), "\(run.stderr.suffix(1500))")
        let r = try PushReportFile.read(h.path("quota.json"))
        #expect(r.summary.failed == 0, "\(r.items.filter { $0.state == "failed" }.prefix(3).map { $0.error ?? "" })")
        #expect(r.items.allSatisfy { $0.state != "notSent" })
        let done = r.items.filter { $0.state == "done" }.count
        #expect(done > 250)
        #expect(h.storedKeys().values.allSatisfy { $0 == 1 })
        let refused = h.fake.statistics.faults["quota"] ?? 0
        #expect(refused > 0, "the quota never bound")
        #expect(refused * 2 <= done, "\(refused) refused calls for \(done) events")
        #expect(run.stderr.contains("rate-limited by Google: pacing to"), "\(run.stderr.suffix(1500))")
    }

    @Test func maxWaitGivesUpWhenGoogleTakesNothing() async throws {
        let h = try PushHarness()
        let source = try h.generate(events: 120, seed: 3)
        // Reads work, every import is refused for rate: nothing can progress.
        h.fake.faults = FakeGoogleServer.Faults(rateLimitExceeded: 1, endpoints: ["calendar.events.import"])
        let clock = ContinuousClock()
        let started = clock.now
        let run = try h.push(source, ["--max-wait", "3s", "--report", h.path("stuck.json")])
        let elapsed = clock.now - started
        #expect(run.status == 69, "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("no call to Google succeeded for 3 s (the --max-wait limit)"), "\(run.stderr.suffix(1500))")
        #expect(run.stderr.contains("run the same command again"))
        #expect(elapsed < .seconds(40), "\(elapsed)")
        let r = try PushReportFile.read(h.path("stuck.json"))
        #expect(!r.items.contains { $0.state == "done" })

        // Once Google takes calls again, the same command finishes the job.
        h.fake.faults = .none
        let again = try h.push(source, ["--report", h.path("again.json")])
        #expect([0, 3].contains(again.status), "\(again.stderr.suffix(1500))")
        #expect(try PushReportFile.read(h.path("again.json")).summary.failed == 0)
    }

    @Test func maxWaitIsValidated() throws {
        let h = try PushHarness()
        let input = try h.generate(events: 3)
        for bad in ["soon", "0s", "-5", "10d"] {
            let r = try h.push(input, ["--max-wait", bad])
            #expect(r.status == 64, "\(bad): \(r.stderr)")
            #expect(r.stderr.contains("--max-wait"), "\(bad): \(r.stderr)")
        }
        let help = try calport(["push", "--help"])
        #expect(String(decoding: help.stdout, as: UTF8.self).contains("--max-wait") || help.stderr.contains("--max-wait"))
    }
}
