import Foundation
import GoogleCalendar
import HTTP

/// The events.list mask pull and archive send: every Event field the mapping reads (all of
/// `EventField` but `kind`, which is always `calendar#event`), and the envelope fields that
/// become X-WR-CALNAME, X-WR-CALDESC and X-WR-TIMEZONE, plus the paging and sync tokens.
/// Derived from `EventField`, so a field added to the mapping is requested without a change here.
public enum PullFields {
    public static var eventFields: [String] {
        EventField.allCases.filter { $0 != .kind }.map(\.rawValue)
    }

    public static var mask: String {
        "items(" + eventFields.joined(separator: ",") + "),summary,description,timeZone,nextPageToken,nextSyncToken"
    }
}

/// What went over the wire for one command: requests sent and response bytes received (as
/// delivered by libcurl, i.e. after gzip decoding).
public struct TransferStatistics: Sendable, Codable, Equatable {
    public var requests = 0
    public var responseBytes = 0
    public init() {}
}

/// An HTTPClient that counts what passes through it, for the summary and `--report`.
public final class CountingHTTPClient: HTTPClient, @unchecked Sendable {
    private let next: any HTTPClient
    private let lock = NSLock()
    private var stats = TransferStatistics()

    public init(_ next: any HTTPClient) { self.next = next }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { stats.requests += 1 }
        let response = try await next.send(request)
        lock.withLock { stats.responseBytes += response.body.count }
        return response
    }

    public var statistics: TransferStatistics { lock.withLock { stats } }
}
