import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing
@testable import FakeGoogle

/// What reaches the server when ids look like path steps: curl removes "." and ".." segments
/// (RFC 3986 §5.2.4) before sending, so an id of ".." would address another resource.
@Suite struct ClientPathTests {
    @Test(arguments: [".", ".."])
    func dotSegmentIdsReachTheServerAsIds(_ id: String) async throws {
        let fake = try FakeGoogleServer()
        let api = GoogleCalendarAPI(http: sharedClient, root: fake.baseURL, retryPolicy: .never, sleep: { _ in },
                                    accessToken: { "test-token" })
        let dots = String(repeating: "%2E", count: id.count)

        let calendar = await #expect(throws: GoogleAPIError.self) { _ = try await api.calendar(id: id) }
        #expect(calendar?.status == 404)
        #expect(fake.requestLog.last?.path == "/calendar/v3/calendars/\(dots)")
        #expect(fake.requestLog.last?.endpoint == "calendar.calendars.get")

        await #expect(throws: GoogleAPIError.self) { _ = try await api.getEvent(calendarId: fake.primaryCalendarId, eventId: id) }
        #expect(fake.requestLog.last?.path == "/calendar/v3/calendars/\(fake.primaryCalendarId.percentEncodedForTest)/events/\(dots)")
        #expect(fake.requestLog.last?.endpoint == "calendar.events.get")
    }
}

extension String {
    /// The ids the fake hands out are e-mail addresses: "@" is the one character to escape.
    fileprivate var percentEncodedForTest: String { replacingOccurrences(of: "@", with: "%40") }
}
