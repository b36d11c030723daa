import Foundation
import HTTP
@testable import FakeGoogle

/// One client for every test: each CurlHTTPClient owns a thread and a connection cache.
let sharedClient: CurlHTTPClient = try! CurlHTTPClient()

/// A response, its body parsed as JSON when it is JSON.
struct Reply {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var ids: [String] { items.compactMap { $0["id"] as? String } }
    /// `error.errors[0].reason`.
    var reason: String? { ((json["error"] as? [String: Any])?["errors"] as? [[String: Any]])?.first?["reason"] as? String }
    var message: String? { (json["error"] as? [String: Any])?["message"] as? String }
    subscript(key: String) -> Any? { json[key] }
}

/// A fake server and requests against it, as calport's API client makes them.
struct Fake {
    let server: FakeGoogleServer
    var token = "test-token"

    init(options: FakeGoogleServer.Options = .init()) throws {
        server = try FakeGoogleServer(options: options)
    }

    func send(
        _ method: String, _ path: String, json: Any? = nil, raw: [UInt8]? = nil, headers: [(String, String)] = [],
        token: String? = nil, authorized: Bool = true
    ) async throws -> Reply {
        var h = headers
        if authorized { h.append(("Authorization", "Bearer \(token ?? self.token)")) }
        var body = raw
        if let json {
            body = Array(try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
            h.append(("Content-Type", "application/json"))
        }
        let url = server.baseURL + (path.hasPrefix("/") ? String(path.dropFirst()) : path)
        let response = try await sharedClient.send(HTTPRequest(method: method, url: url, headers: h, body: body, timeout: .seconds(10)))
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }

    func events(_ query: String = "", calendar: String = "primary") async throws -> Reply {
        try await send("GET", "calendar/v3/calendars/\(calendar)/events" + (query.isEmpty ? "" : "?" + query))
    }

    func insert(_ event: [String: Any], calendar: String = "primary", query: String = "") async throws -> Reply {
        try await send("POST", "calendar/v3/calendars/\(calendar)/events" + (query.isEmpty ? "" : "?" + query), json: event)
    }

    func importEvent(_ event: [String: Any], calendar: String = "primary") async throws -> Reply {
        try await send("POST", "calendar/v3/calendars/\(calendar)/events/import", json: event)
    }

    func form(_ path: String, _ fields: [(String, String)]) async throws -> Reply {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
        let request = HTTPRequest(
            method: "POST", url: server.baseURL + path, headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(body.utf8), timeout: .seconds(10))
        let response = try await sharedClient.send(request)
        return Reply(status: response.status, headers: response.headers, body: response.body)
    }
}

/// A timed event starting `day` days after 2026-03-02 at 09:00 UTC, lasting an hour.
func timedEvent(_ summary: String, day: Int = 0, extra: [String: Any] = [:]) -> [String: Any] {
    let date = String(format: "2026-03-%02d", 2 + day)
    var e: [String: Any] = [
        "summary": summary,
        "start": ["dateTime": "\(date)T09:00:00Z"],
        "end": ["dateTime": "\(date)T10:00:00Z"],
    ]
    for (k, v) in extra { e[k] = v }
    return e
}

func percentEncoded(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed)!
}
