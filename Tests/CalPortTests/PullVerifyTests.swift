import CalPort
import Foundation
import GoogleCalendar
import Testing

@Suite("calport verify with a google: side", .serialized)
struct PullVerifyTests {
    @Test("a migration checks out against its Google source, and a change there is reported")
    func googleSide() async throws {
        let account = try FakeAccount()
        let sent = try await PullTests.seedCalendar(account, count: 40)
        try sent.write(to: URL(fileURLWithPath: account.path("sent.json")))
        let same = try account.run(["verify", account.path("sent.json"), "google:primary"])
        #expect(same.status == 0, "\(same.stdoutText.prefix(2000))\(same.stderr)")
        #expect(same.stdoutText.contains("equivalent"))
        // Either side may be the Google calendar.
        let pulled = try account.run(["pull", "--calendar", "primary", "-o", account.path("pulled.ics"), "-q"])
        #expect(pulled.status == 0)
        #expect(try account.run(["verify", "google:primary", account.path("pulled.ics")]).status == 0)

        let target = try await account.api.allEvents(calendarId: "primary").items.first { $0.iCalUID == "seed-7@calport.test" }!
        var patch = GoogleEvent()
        patch.summary = "Changed in Google"
        _ = try await account.api.patchEvent(patch, calendarId: "primary", eventId: target.id!, sendUpdates: .none)
        let differs = try account.run(["verify", account.path("sent.json"), "google:primary", "--json"])
        #expect(differs.status == 1)
        let report = try JSONSerialization.jsonObject(with: differs.stdout) as! [String: Any]
        let differences = report["differences"] as! [[String: Any]]
        #expect(differences.count == 1)
        #expect(differences.first?["uid"] as? String == "seed-7@calport.test")
        #expect(differences.first?["b"] as? String == "Changed in Google")
    }

    @Test("google: needs a calendar id; a refused token exits 77")
    func googleSideErrors() async throws {
        let account = try FakeAccount()
        try Data("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n".utf8).write(to: URL(fileURLWithPath: account.path("empty.ics")))
        let usage = try account.run(["verify", account.path("empty.ics"), "google:"])
        #expect(usage.status == 64)
        account.server.acceptedTokens = ["another-token"]
        let refused = try account.run(["verify", account.path("empty.ics"), "google:primary"])
        #expect(refused.status == 77, "\(refused.stderr)")
        #expect(!refused.stderr.contains(FakeAccount.token))
    }
}
