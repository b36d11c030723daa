import Foundation
import HTTP

/// `--verbose` for networked commands: one line per HTTP exchange on standard error, with the
/// method, the address, the status, the time taken and the sizes. Headers and bodies are never
/// shown (they carry the bearer token, refresh tokens and client secrets), and query parameters
/// that could hold a credential are masked.
public struct LoggingHTTPClient: HTTPClient {
    public let next: any HTTPClient
    public let write: @Sendable (String) -> Void

    public init(_ next: any HTTPClient, write: @escaping @Sendable (String) -> Void = { StandardError.write($0) }) {
        self.next = next
        self.write = write
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let clock = ContinuousClock()
        let started = clock.now
        let target = Self.redacted(request.url)
        do {
            let response = try await next.send(request)
            let ms = Self.milliseconds(clock.now - started)
            write("calport: \(request.method) \(target) -> \(response.status) in \(ms) ms (sent \(request.body?.count ?? 0) B, received \(response.body.count) B, \(response.httpVersion))\n")
            return response
        } catch {
            let ms = Self.milliseconds(clock.now - started)
            write("calport: \(request.method) \(target) -> \(error) after \(ms) ms\n")
            throw error
        }
    }

    static let sensitiveParameters: Set<String> = ["access_token", "key", "code", "client_secret", "refresh_token", "token", "assertion"]

    /// The URL with credential-like query values replaced by `***`.
    static func redacted(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        let pairs = url[url.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let name = pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return sensitiveParameters.contains(name.lowercased()) ? name + "=***" : String(pair)
        }
        return String(url[..<q]) + "?" + pairs.joined(separator: "&")
    }

    static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }
}
