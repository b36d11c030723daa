import Foundation
import GoogleAPI
import GoogleCalendar
import HTTP
import Testing
@testable import FakeGoogle

/// An answer larger than the client accepts is its own failure, not a network one.
@Suite struct OversizedResponseTests {
    @Test func oversizedAnswerSaysSoInsteadOfUnreachable() async throws {
        let fake = try FakeGoogleServer()
        let small = try CurlHTTPClient(configuration: .init(maxResponseBytes: 64))
        let api = GoogleCalendarAPI(http: small, root: fake.baseURL, retryPolicy: .standard, sleep: { _ in },
                                    accessToken: { "test-token" })
        let error = try #require(await #expect(throws: GoogleAPIError.self) { _ = try await api.calendarList() })
        #expect(error.kind == .responseTooLarge && error.transportError == .responseTooLarge(limit: 64))
        #expect(!error.description.contains("could not be reached"), "\(error)")
        #expect(error.description.contains("exceeded 64 bytes"), "\(error)")
        #expect(error.attempts == 1, "a larger answer will not shrink on a retry")
        #expect(fake.requestCount == 1)
    }
}
