/// A request as the server received it.
public struct LoopbackRequest: Sendable {
    public var method: String
    /// The request target as sent: path and query string, e.g. "/calendars/a%40b/events?pageToken=x".
    public var path: String
    /// The path alone: no query string (still percent-encoded), and no scheme and host when the
    /// target was an absolute URL, as sent to a proxy.
    public var pathWithoutQuery: String
    /// The query string's items in order, percent-decoded ("+" is a space).
    public var queryItems: [(name: String, value: String)]
    /// Lower-cased names; a header sent more than once has its values joined with ", ".
    public var headers: [String: String]
    public var body: [UInt8]
    /// "HTTP/1.1" or "HTTP/1.0".
    public var version: String
    /// Numbers the server's connections from 1, in the order accepted.
    public var connectionNumber: Int

    public init(
        method: String, path: String, headers: [String: String] = [:], body: [UInt8] = [],
        version: String = "HTTP/1.1", connectionNumber: Int = 0
    ) {
        self.method = method
        self.path = path
        let (bare, query) = splitTarget(path)
        pathWithoutQuery = bare
        queryItems = query.map(parseQuery) ?? []
        self.headers = headers
        self.body = body
        self.version = version
        self.connectionNumber = connectionNumber
    }

    /// The first value of query item `name`.
    public func query(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// The value of header `name` (any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the handler answers. Content-Length is always computed by the server.
public struct LoopbackResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The server waits this long before answering (or dropping), as a slow server would.
    public var delay: Duration
    /// Close the connection after this response.
    public var closeAfterResponse: Bool
    /// Close the connection without any response.
    public var dropsConnection: Bool

    public init(
        status: Int = 200, headers: [(String, String)] = [], body: [UInt8] = [],
        delay: Duration = .zero, closeAfterResponse: Bool = false
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.closeAfterResponse = closeAfterResponse
        self.dropsConnection = false
    }

    public static func text(_ text: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array(text.utf8))
    }

    public static func json(_ json: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: [("Content-Type", "application/json; charset=UTF-8")], body: Array(json.utf8))
    }

    public static func html(_ html: String, status: Int = 200) -> LoopbackResponse {
        LoopbackResponse(status: status, headers: [("Content-Type", "text/html; charset=utf-8")], body: Array(html.utf8))
    }

    /// Fault injection: the server closes the connection without answering.
    public static var closeConnection: LoopbackResponse {
        var response = LoopbackResponse(status: 0)
        response.dropsConnection = true
        return response
    }

    /// The same response, sent (or the connection dropped) after `delay`.
    public func delayed(by delay: Duration) -> LoopbackResponse {
        var copy = self
        copy.delay = delay
        return copy
    }
}

/// The path and the query string of a request target. An absolute-form target (what a client
/// sends to a proxy, "http://host/path?query") yields the path of its URL.
func splitTarget(_ target: String) -> (String, String?) {
    var path = Substring(target)
    if !path.hasPrefix("/"), let colon = path.firstIndex(of: ":"), path[colon...].hasPrefix("://") {
        let authority = path[path.index(colon, offsetBy: 3)...]
        path = authority[(authority.firstIndex { $0 == "/" || $0 == "?" } ?? authority.endIndex)...]
    }
    guard let q = path.firstIndex(of: "?") else { return (path.isEmpty ? "/" : String(path), nil) }
    let bare = path[..<q]
    return (bare.isEmpty ? "/" : String(bare), String(path[path.index(after: q)...]))
}

func parseQuery(_ query: String) -> [(name: String, value: String)] {
    query.split(separator: "&", omittingEmptySubsequences: true).map { item in
        if let eq = item.firstIndex(of: "=") {
            return (percentDecode(item[..<eq]), percentDecode(item[item.index(after: eq)...]))
        }
        return (percentDecode(item), "")
    }
}

/// Decodes %XX escapes and, unless `plusIsSpace` is false (a path segment, where "+" is
/// itself), "+" as a space (form-encoded queries); a malformed escape stays as it is.
public func percentDecode(_ text: Substring, plusIsSpace: Bool = true) -> String {
    var bytes: [UInt8] = []
    var utf8 = Array(text.utf8)[...]
    while let byte = utf8.popFirst() {
        if plusIsSpace && byte == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
        } else if byte == UInt8(ascii: "%"), utf8.count >= 2,
                  let high = hexValue(utf8[utf8.startIndex]), let low = hexValue(utf8[utf8.startIndex + 1]) {
            bytes.append(high << 4 | low)
            utf8 = utf8.dropFirst(2)
        } else {
            bytes.append(byte)
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// The standard reason phrase for an HTTP status code.
public func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 100: "Continue"
    case 200: "OK"
    case 201: "Created"
    case 204: "No Content"
    case 301: "Moved Permanently"
    case 302: "Found"
    case 303: "See Other"
    case 304: "Not Modified"
    case 307: "Temporary Redirect"
    case 308: "Permanent Redirect"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 405: "Method Not Allowed"
    case 409: "Conflict"
    case 410: "Gone"
    case 411: "Length Required"
    case 412: "Precondition Failed"
    case 413: "Content Too Large"
    case 429: "Too Many Requests"
    case 431: "Request Header Fields Too Large"
    case 500: "Internal Server Error"
    case 501: "Not Implemented"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    default: "Status \(status)"
    }
}
