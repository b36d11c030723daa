#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import HTTP

/// An input given as a URL (`calport push https://example.com/team.ics`, also for `convert`
/// and `verify`): fetched once through libcurl with the limits of an API response (size cap,
/// connect and total timeouts, http and https only, redirects not followed), kept in a private
/// temporary file while the command reads it, and named in every message by its URL without
/// user info, query or fragment. `webcal://` is the same URL over https.
public final class RemoteInput: @unchecked Sendable {
    /// Where the body is (inside a directory only this user can read; removed on deinit).
    public let path: String
    /// The URL for messages (credentials and query left out).
    public let name: String
    private let directory: String

    /// The whole exchange must finish within this, as an API call must.
    public static let timeout: Duration = .seconds(60)

    /// Whether an input argument is a URL rather than a path (`./https:x` names a file).
    public static func isURL(_ argument: String) -> Bool {
        let lower = argument.prefix(9).lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("webcal://")
    }

    /// `webcal://` is what calendar feeds are published as: the same resource over https.
    static func normalized(_ url: String) -> String {
        url.prefix(9).lowercased() == "webcal://" ? "https://" + url.dropFirst(9) : url
    }

    private init(path: String, name: String, directory: String) {
        self.path = path
        self.name = name
        self.directory = directory
    }

    deinit {
        unlink(path)
        rmdir(directory)
    }

    /// Fetches `url`. Throws `Failure`: `.unavailable` when the server could not be reached or
    /// answered with a temporary error (5xx, 429, a timeout: run again later), `.failure`
    /// otherwise (4xx, a redirect, an answer over the size cap), `.usage` for a URL calport
    /// cannot use.
    public static func fetch(_ argument: String, http: (any HTTPClient)? = nil) async throws -> RemoteInput {
        let url = normalized(argument)
        let shown = redactURL(url)
        if hasUserInfo(url) && !CredentialPolicy.allows(url) {
            throw Failure(message: "\(shown): the URL carries a user name or password, which calport sends only over \(CredentialPolicy.rule)",
                          outcome: .usage)
        }
        let client: any HTTPClient
        let limit: Int
        if let http {
            client = http
            limit = 256 << 20
        } else {
            let c = try CurlHTTPClient()
            client = c
            limit = c.configuration.maxResponseBytes
        }
        let response: HTTPResponse
        do {
            response = try await client.send(HTTPRequest(method: "GET", url: url, headers: [("Accept", "text/calendar, application/json;q=0.9, */*;q=0.5")],
                                                         timeout: timeout))
        } catch let e as HTTPError {
            switch e {
            case .connection(let m):
                throw Failure(message: "\(shown): cannot fetch: \(m)", advice: "check the address and the network, then run again", outcome: .unavailable)
            case .invalidURL:
                throw Failure(message: "\(shown): not a URL calport can fetch (http or https)", outcome: .usage)
            case .responseTooLarge(let limit):
                throw Failure(message: "\(shown): the answer is larger than \(limit >> 20) MiB, the most calport reads", outcome: .failure)
            default:
                throw Failure(message: "\(shown): cannot fetch: \(e)", outcome: .failure)
            }
        }
        switch response.status {
        case 200..<300:
            break
        case 300..<400:
            let target = response.header("location").map { " to \(redactURL($0))" } ?? ""
            throw Failure(message: "\(shown): the server answered \(response.status) (moved\(target)); calport does not follow redirects",
                          advice: "give the new address itself", outcome: .failure)
        case 408, 429, 500..<600:
            throw Failure(message: "\(shown): the server answered \(response.status)\(reason(response.status))", advice: "run again later",
                          outcome: .unavailable)
        default:
            throw Failure(message: "\(shown): the server answered \(response.status)\(reason(response.status))", outcome: .failure)
        }
        if response.body.count > limit {
            throw Failure(message: "\(shown): the answer is larger than \(limit >> 20) MiB, the most calport reads", outcome: .failure)
        }
        return try store(response.body, name: shown, url: url)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 401: " (unauthorized)"
        case 403: " (forbidden)"
        case 404: " (not found)"
        case 410: " (gone)"
        case 429: " (too many requests)"
        case 500..<600: " (server error)"
        default: ""
        }
    }

    static func hasUserInfo(_ url: String) -> Bool {
        guard let scheme = url.range(of: "://") else { return false }
        let rest = url[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return authority.contains("@")
    }

    /// Writes the body into a new private directory, under the URL's last path segment (so
    /// that a format named by the extension is still recognised).
    private static func store(_ body: [UInt8], name: String, url: String) throws -> RemoteInput {
        let base = (ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        var template = Array((base + "/calport-fetch-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(message: "\(name): cannot make a temporary directory in \(base): \(String(cString: strerror(errno)))", outcome: .failure)
        }
        let directory = String(cString: made)
        let last = redactURL(url).split(separator: "/").last.map(String.init) ?? ""
        let file = last.filter { $0.isLetter || $0.isNumber || "._-".contains($0) }
        let path = directory + "/" + (file.isEmpty || file.hasPrefix(".") || url.hasSuffix("/") ? "download" : file)
        let input = RemoteInput(path: path, name: name, directory: directory)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw Failure(message: "\(name): cannot write a temporary copy: \(String(cString: strerror(errno)))", outcome: .failure)
        }
        defer { close(fd) }
        var written = 0
        while written < body.count {
            let n = body.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw Failure(message: "\(name): cannot write a temporary copy: \(String(cString: strerror(errno)))", outcome: .failure)
            }
            written += n
        }
        return input
    }
}
