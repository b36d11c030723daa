/// An HTTP request as calport's API clients build it. Values only: the transport decides how.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    /// Sent in this order. An empty value sends the header with no value.
    public var headers: [(String, String)]
    public var body: [UInt8]?
    /// The whole exchange, connecting included, must finish within this.
    public var timeout: Duration

    public init(
        method: String = "GET",
        url: String,
        headers: [(String, String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration = .seconds(60)
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The value of the first header named `name` (compared case-insensitively).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.0.lowercased() == wanted }?.1
    }
}

/// Request headers can hold credentials: a request prints, logs and dumps with the values of
/// credential headers replaced, and the query string of its URL left out.
extension HTTPRequest: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    static let sensitiveHeaders: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    var redactedHeaders: [(String, String)] {
        headers.map { name, value in
            (name, Self.sensitiveHeaders.contains(name.lowercased()) ? "<redacted>" : value)
        }
    }

    public var description: String {
        "\(method) \(redactURL(url)) (\(headers.count) headers, \(body?.count ?? 0) body bytes)"
    }

    public var debugDescription: String {
        let h = redactedHeaders.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
        return "HTTPRequest(\(method) \(redactURL(url)), headers: [\(h)], body: \(body?.count ?? 0) bytes, timeout: \(timeout))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: [
            "method": method, "url": redactURL(url), "headers": redactedHeaders.map { "\($0.0): \($0.1)" },
            "bodyBytes": body?.count ?? 0, "timeout": timeout,
        ])
    }
}

/// A URL for messages: scheme, host and path, without user info, query or fragment (an OAuth
/// redirect or a misbuilt URL can carry a secret there).
public func redactURL(_ url: String) -> String {
    var s = Substring(url)
    if let cut = s.firstIndex(where: { $0 == "?" || $0 == "#" }) { s = s[..<cut] }
    var authorityStart = s.startIndex
    if let colon = s.firstIndex(of: ":"), s[colon...].hasPrefix("://") {
        authorityStart = s.index(colon, offsetBy: 3)
    }
    let authorityEnd = s[authorityStart...].firstIndex(of: "/") ?? s.endIndex
    if let at = s[authorityStart..<authorityEnd].lastIndex(of: "@") {
        s = s[..<authorityStart] + s[s.index(after: at)...]
    }
    return String(s.prefix(200))
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Lower-cased names; a header sent more than once has its values joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]
    /// "HTTP/1.0", "HTTP/1.1", "HTTP/2" or "HTTP/3".
    public var httpVersion: String

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = [], httpVersion: String = "HTTP/1.1") {
        self.status = status
        self.headers = headers
        self.body = body
        self.httpVersion = httpVersion
    }

    /// The value of header `name` (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Transport failures. No case ever carries request headers or a URL's query string.
public enum HTTPError: Error, Sendable, Equatable {
    /// DNS, connection refused or reset, the server closed without answering, TLS handshake
    /// cut short, timeout: worth retrying.
    case connection(String)
    case tooManyRedirects
    case invalidURL(String)
    /// The answer went past the client's `maxResponseBytes` and was cut off: the server was
    /// reached, so this is not a network failure, and a retry would get the same answer.
    case responseTooLarge(limit: Int)
    /// Anything else (certificate rejected, protocol error, ...): retrying will not help.
    case other(String)

    /// Whether a retry of the same request may succeed.
    public var isRetryable: Bool {
        if case .connection = self { return true }
        return false
    }
}

extension HTTPError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connection(let m): "connection failed: \(m)"
        case .tooManyRedirects: "too many redirects"
        case .invalidURL(let m): "invalid URL: \(m)"
        case .responseTooLarge(let limit): "the response exceeded \(limit) bytes"
        case .other(let m): "HTTP transport error: \(m)"
        }
    }
}

/// Sends requests. Implementations never block the caller's thread while waiting for the network.
public protocol HTTPClient: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
