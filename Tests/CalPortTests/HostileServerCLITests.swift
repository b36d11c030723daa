import Foundation
import LoopbackHTTP
import Testing

/// A server on 127.0.0.1 that answers like Google Calendar, only wrong on purpose (issue 14):
/// page tokens that repeat, or a Retry-After nobody could wait for. It also serves as an HTTP
/// proxy, to see what calport would have sent to a host it must not talk to.
final class HostileGoogle: @unchecked Sendable {
    enum Mode {
        /// Every list page names the page token it was asked for as the next one.
        case repeatedPageToken
        /// Every request gets 429 with this Retry-After.
        case retryAfter(String)
    }

    private let lock = NSLock()
    private var server: LoopbackServer?
    private var received: [LoopbackRequest] = []

    init(_ mode: Mode) throws {
        let server = try LoopbackServer { [weak self] request in
            self?.lock.withLock { self?.received.append(request) }
            return Self.answer(request, mode)
        }
        lock.withLock { self.server = server }
    }

    deinit { server?.stop() }

    var baseURL: String { lock.withLock { server!.baseURL } + "/" }
    var requests: [LoopbackRequest] { lock.withLock { received } }

    static func answer(_ request: LoopbackRequest, _ mode: Mode) -> LoopbackResponse {
        switch mode {
        case .retryAfter(let value):
            var r = LoopbackResponse.json(#"{"error":{"code":429,"message":"Too Many Requests","errors":[{"reason":"rateLimitExceeded"}]}}"#,
                                          status: 429)
            r.headers.append(("Retry-After", value))
            return r
        case .repeatedPageToken:
            let token = request.query("pageToken") ?? "page-2"
            let path = request.pathWithoutQuery
            if path.hasSuffix("/calendarList") {
                return .json(#"{"items":[{"id":"c@x","summary":"C","accessRole":"owner"}],"nextPageToken":"\#(token)"}"#)
            }
            if path.hasSuffix("/events") {
                return .json("""
                    {"kind":"calendar#events","summary":"C","timeZone":"UTC","items":[{"id":"e1","iCalUID":"e1@x",\
                    "status":"confirmed","summary":"E","start":{"dateTime":"2026-01-01T10:00:00Z"},\
                    "end":{"dateTime":"2026-01-01T11:00:00Z"}}],"nextPageToken":"\(token)"}
                    """)
            }
            return .json(#"{"kind":"calendar#calendar","id":"c@x","summary":"C","timeZone":"UTC"}"#)
        }
    }
}

/// Runs calport, killing it (and failing) if it has not ended within `limit`: a calport that
/// follows page tokens forever must fail the test, not hang it.
func calport(_ args: [String], environment: [String: String], limit: Duration) throws -> RunResult {
    let p = Process()
    p.executableURL = Paths.calport
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let outData = DataBox(), errData = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    let deadline = ContinuousClock.now + limit
    while p.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
    let timedOut = p.isRunning
    if timedOut { p.terminate() }
    p.waitUntilExit()
    group.wait()
    let stderr = String(decoding: errData.data, as: UTF8.self)
    #expect(!timedOut, "calport \(args.joined(separator: " ")) still ran after \(limit): \(stderr.suffix(300))")
    return RunResult(status: p.terminationStatus, stdout: outData.data, stderr: stderr)
}

/// The hostile servers against the calport executable: the exit codes and messages README.md
/// documents.
@Suite(.serialized) struct HostileServerCLITests {
    static let token = "ya29.hostile-test-token"

    func environment(root: String, extra: [String: String] = [:]) throws -> [String: String] {
        ["CALPORT_CONFIG_DIR": try Paths.temporaryDirectory().path, "CALPORT_GOOGLE_API_ROOT": root,
         "CALPORT_ACCESS_TOKEN": Self.token].merging(extra) { $1 }
    }

    @Test func repeatedPageTokenEndsCalendarsWithExit1() throws {
        let server = try HostileGoogle(.repeatedPageToken)
        let r = try calport(["calendars"], environment: try environment(root: server.baseURL), limit: .seconds(120))
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("page token"), "\(r.stderr)")
        #expect(server.requests.count == 2)
    }

    @Test func repeatedPageTokenEndsPullWithExit1() throws {
        let server = try HostileGoogle(.repeatedPageToken)
        let dir = try Paths.temporaryDirectory()
        let out = dir.appendingPathComponent("out.ics").path
        let r = try calport(["pull", "--calendar", "c@x", "-o", out, "--quiet"], environment: try environment(root: server.baseURL),
                            limit: .seconds(120))
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.contains("page token"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out), "nothing is written from a listing that never ended")
    }

    /// Retry-After: 1e16 crashed calport with SIGILL (a Double too large for Int64).
    @Test(arguments: ["1e16", "99999999999999999999"])
    func absurdRetryAfterIsExit69WithoutAWait(_ value: String) throws {
        let server = try HostileGoogle(.retryAfter(value))
        let started = ContinuousClock.now
        let r = try calport(["calendars"], environment: try environment(root: server.baseURL), limit: .seconds(120))
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("429") && r.stderr.contains("nothing was retried"), "\(r.stderr)")
        #expect(server.requests.count == 1)
        #expect(ContinuousClock.now - started < .seconds(60), "no wait at all, with room for a loaded machine")
    }

    /// A plain-http API root that is not loopback: calport refuses it before sending anything.
    /// The proxy settings send whatever calport would send to the proxy on 127.0.0.1 instead of
    /// the network, so a calport that did send the token is caught without leaving the machine.
    @Test func plainHTTPRootIsRefusedWithExit64() throws {
        let proxy = try HostileGoogle(.repeatedPageToken)
        let env = try environment(root: "http://calendar.invalid/", extra: [
            "http_proxy": proxy.baseURL, "HTTPS_PROXY": "", "https_proxy": "", "all_proxy": "", "ALL_PROXY": "",
            "no_proxy": "", "NO_PROXY": "",
        ])
        let r = try calport(["calendars"], environment: env, limit: .seconds(120))
        #expect(proxy.requests.isEmpty, "sent in the clear: \(proxy.requests.map(\.path))")
        #expect(r.status == 64, "\(r.stderr)")
        #expect(r.stderr.contains("CALPORT_GOOGLE_API_ROOT") && r.stderr.contains("https"), "\(r.stderr)")
        #expect(!r.stderr.contains(Self.token))
    }
}
