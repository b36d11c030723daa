import HTTP
import LoopbackHTTP
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Serialized: several tests measure time, and a neighbour's 5 MB transfer must not skew them.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct CurlHTTPClientTests {
    let server: LoopbackServer
    let client: CurlHTTPClient

    init() throws {
        server = try makeTestServer()
        client = try CurlHTTPClient()
    }

    func url(_ path: String) -> String { server.baseURL + path }

    @Test func getRoundTrip() async throws {
        let response = try await client.send(HTTPRequest(url: url("/echo?x=1"), timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(response.header("X-Method") == "GET")
        #expect(response.headers["x-path"] == "/echo?x=1")
        #expect(response.headers["content-length"] == "0")
        #expect(response.body.isEmpty)
        #expect(response.httpVersion == "HTTP/1.1")
    }

    @Test func postRoundTrip() async throws {
        let body = Array(#"{"summary":"Standup","start":{"dateTime":"2026-01-05T09:00:00Z"}}"#.utf8)
        let request = HTTPRequest(
            method: "POST", url: url("/echo"),
            headers: [("Content-Type", "application/json"), ("X-Custom", "42")], body: body, timeout: .seconds(5))
        let response = try await client.send(request)
        #expect(response.status == 200)
        #expect(response.header("x-method") == "POST")
        #expect(response.body == body)

        let seen = try await client.send(HTTPRequest(
            method: "POST", url: url("/headers"), headers: [("Content-Type", "application/json"), ("X-Custom", "42")],
            body: body, timeout: .seconds(5)))
        let lines = text(seen).split(separator: "\n")
        #expect(lines.contains("content-type: application/json"))
        #expect(lines.contains("x-custom: 42"))
        #expect(lines.contains("content-length: \(body.count)"))
        #expect(!lines.contains { $0.hasPrefix("expect:") })
    }

    @Test(arguments: ["PUT", "PATCH", "DELETE"])
    func otherMethods(method: String) async throws {
        let body: [UInt8]? = method == "DELETE" ? nil : Array("data".utf8)
        let response = try await client.send(HTTPRequest(method: method, url: url("/echo"), body: body, timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(response.header("x-method") == method)
        #expect(response.body == (body ?? []))
    }

    @Test func headRequest() async throws {
        let response = try await client.send(HTTPRequest(method: "HEAD", url: url("/status?code=200"), timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(response.body.isEmpty)
        #expect(response.headers["content-length"] == "10")
    }

    @Test(arguments: [200, 201, 204, 400, 404, 429, 503])
    func statusCodes(code: Int) async throws {
        let response = try await client.send(HTTPRequest(url: url("/status?code=\(code)"), timeout: .seconds(5)))
        #expect(response.status == code)
        #expect(text(response) == (code == 204 ? "" : "status \(code)"))
    }

    @Test func userAgentAndAcceptEncodingAsTheServerSeesThem() async throws {
        let response = try await client.send(HTTPRequest(
            url: url("/headers"), headers: [("Authorization", "Bearer ya29.secret")], timeout: .seconds(5)))
        let lines = text(response).split(separator: "\n").map(String.init)
        let agent = try #require(lines.first { $0.hasPrefix("user-agent: ") })
        #expect(agent.contains("gzip"))
        #expect(agent.hasPrefix("user-agent: calport/"))
        let encoding = try #require(lines.first { $0.hasPrefix("accept-encoding: ") })
        #expect(encoding.contains("gzip"))
        #expect(lines.contains("authorization: Bearer ya29.secret"))
    }

    @Test func userAgentWithoutGzipGetsIt() async throws {
        let own = try CurlHTTPClient(configuration: .init(userAgent: "calport-test/1"))
        let response = try await own.send(HTTPRequest(url: url("/headers"), timeout: .seconds(5)))
        #expect(text(response).split(separator: "\n").contains("user-agent: calport-test/1 (gzip)"))
    }

    @Test func gzipResponsesAreDecoded() async throws {
        // gzip of {"kind": "calendar#events", "items": []}, as Google sends it to a client
        // that asked for it.
        let gzipped: [UInt8] = [
            0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0xca, 0xce, 0xcc, 0x4b,
            0x51, 0xb2, 0x52, 0x50, 0x4a, 0x4e, 0xcc, 0x49, 0xcd, 0x4b, 0x49, 0x2c, 0x52, 0x4e, 0x2d, 0x4b,
            0xcd, 0x2b, 0x29, 0x56, 0xd2, 0x51, 0x50, 0xca, 0x2c, 0x49, 0xcd, 0x2d, 0x06, 0xca, 0x45, 0xc7,
            0xd6, 0x02, 0x00, 0x28, 0x93, 0x23, 0xbe, 0x28, 0x00, 0x00, 0x00,
        ]
        let compressing = try LoopbackServer { request in
            guard request.header("accept-encoding")?.contains("gzip") == true else { return .text("plain") }
            return LoopbackResponse(headers: [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], body: gzipped)
        }
        let response = try await client.send(HTTPRequest(url: compressing.baseURL + "/events", timeout: .seconds(5)))
        #expect(text(response) == #"{"kind": "calendar#events", "items": []}"#)
        #expect(response.headers["content-encoding"] == "gzip")
    }

    /// Changing the environment while other threads may read it (libcurl does, for every
    /// connection) is not safe in glibc, so this runs only on request, alone:
    ///     CALPORT_TEST_PROXY=1 swift test --skip-build --filter proxyEnvironmentVariablesAreHonoured
    @Test(.enabled(if: getenv("CALPORT_TEST_PROXY") != nil, "set CALPORT_TEST_PROXY=1 and run it alone"))
    func proxyEnvironmentVariablesAreHonoured() async throws {
        // The loopback server plays an HTTP proxy: it receives the absolute URL as target.
        let names: [String] = ["http_proxy", "no_proxy"]
        let saved = names.map { name in (name, getenv(name).map { String(cString: $0) }) }
        setenv("http_proxy", server.baseURL, 1)
        setenv("no_proxy", "127.0.0.1,localhost", 1)  // other tests' loopback requests stay direct
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        let response = try await client.send(HTTPRequest(url: "http://calport-proxy-test.invalid/echo?via=proxy", timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(response.headers["x-path"] == "http://calport-proxy-test.invalid/echo?via=proxy")
    }

    @Test func repeatedResponseHeadersAreJoined() async throws {
        let response = try await client.send(HTTPRequest(url: url("/multi"), timeout: .seconds(5)))
        #expect(response.headers["x-multi"] == "a, b")
        #expect(response.headers.keys.allSatisfy { $0 == $0.lowercased() })
    }

    @Test func keepAliveReusesOneConnection() async throws {
        for i in 0..<50 {
            let response = try await client.send(HTTPRequest(
                method: i.isMultiple(of: 2) ? "GET" : "POST", url: url("/echo"),
                body: i.isMultiple(of: 2) ? nil : Array("request \(i)".utf8), timeout: .seconds(5)))
            #expect(response.status == 200)
        }
        print("keep-alive: 50 sequential requests used \(server.connectionsAccepted) connection(s)")
        #expect(server.requestsHandled == 50)
        #expect(server.connectionsAccepted <= 2)
    }

    @Test func eightConcurrentRequests() async throws {
        let client = self.client
        let base = server.baseURL
        let (bodies, seconds) = try await timed {
            try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<8 {
                    group.addTask {
                        let response = try await client.send(HTTPRequest(
                            method: "POST", url: base + "/echo", body: Array("body \(i)".utf8), timeout: .seconds(5)))
                        return (i, text(response))
                    }
                }
                var bodies: [Int: String] = [:]
                for try await (i, body) in group { bodies[i] = body }
                return bodies
            }
        }
        print("8 concurrent requests: \(ms(seconds)) ms, \(server.connectionsAccepted) connections")
        #expect(bodies.count == 8)
        for i in 0..<8 { #expect(bodies[i] == "body \(i)") }
    }

    @Test func droppedConnectionIsAConnectionError() async throws {
        let error = await httpError(client, HTTPRequest(url: url("/drop"), timeout: .seconds(5)))
        #expect(error?.isConnection == true, "got \(String(describing: error))")
        #expect(error?.isRetryable == true)
        // The client still works afterwards.
        #expect(try await client.send(HTTPRequest(url: url("/status?code=200"), timeout: .seconds(5))).status == 200)
    }

    @Test func timeoutIsAConnectionErrorWithinTheTimeout() async throws {
        let (error, seconds) = await timed {
            await httpError(client, HTTPRequest(url: url("/slow?ms=5000"), timeout: .milliseconds(500)))
        }
        print("timeout of 500 ms surfaced after \(ms(seconds)) ms: \(String(describing: error))")
        #expect(error?.isConnection == true, "got \(String(describing: error))")
        #expect(seconds >= 0.45)
        #expect(seconds < 4, "the 500 ms timeout, not the server's 5 s answer")
    }

    @Test func connectionRefusedIsAConnectionError() async throws {
        let gone = try makeTestServer()
        let port = gone.port
        gone.stop()
        let error = await httpError(client, HTTPRequest(url: "http://127.0.0.1:\(port)/echo", timeout: .seconds(5)))
        #expect(error?.isConnection == true, "got \(String(describing: error))")
    }

    @Test func largeBodyRoundTrips() async throws {
        let body = bytePattern(count: 5_000_000)
        let (response, seconds) = try await timed {
            try await client.send(HTTPRequest(method: "POST", url: url("/echo"), body: body, timeout: .seconds(8)))
        }
        print("5 MB echoed in \(ms(seconds)) ms")
        #expect(response.status == 200)
        #expect(response.body.count == body.count)
        #expect(sameBytes(response.body, body))
    }

    @Test func asyncAPIDoesNotBlockTheCooperativePool() async throws {
        // 20 requests the server answers after 200 ms each. Were curl blocking the cooperative
        // pool (as wide as the CPU count), they would take 20 x 200 ms / CPUs.
        let client = self.client
        let base = server.baseURL
        let clock = ContinuousClock()
        let (statuses, seconds) = try await timed {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await client.send(HTTPRequest(url: base + "/slow?ms=200", timeout: .seconds(5))).status
                    }
                }
                // While they are in flight the pool must still run other work at once.
                try await Task.sleep(for: .milliseconds(50))
                let asked = clock.now
                let probe = await Task.detached { clock.now - asked }.value
                #expect(probe < .milliseconds(100), "a trivial task waited \(probe)")
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
        }
        print("20 concurrent requests of 200 ms each: \(ms(seconds)) ms in all (serial: 4000 ms)")
        #expect(statuses == Array(repeating: 200, count: 20))
        // A blocked pool two threads wide (this machine) would take 2 s.
        #expect(seconds < 1.9)
    }

    @Test func cancellationAbortsTheTransfer() async throws {
        let client = self.client
        let target = url("/slow?ms=5000")
        let (result, seconds) = await timed {
            let task = Task { try await client.send(HTTPRequest(url: target, timeout: .seconds(8))) }
            try? await Task.sleep(for: .milliseconds(100))
            task.cancel()
            return await task.result
        }
        #expect(seconds < 4, "cancelled, not the server's 5 s answer")
        #expect(throws: CancellationError.self) { try result.get() }
    }

    @Test func invalidURLs() async throws {
        for bad in ["not a url", "ftp://example.com/x", "http://exa mple.com/", ""] {
            let error = await httpError(client, HTTPRequest(url: bad, timeout: .seconds(1)))
            guard case .invalidURL = error else {
                Issue.record("\(bad): \(String(describing: error))")
                continue
            }
        }
    }

    @Test func headerValuesNeverReachErrorsOrDescriptions() async throws {
        let secret = "ya29.A0ARrdaM-very-secret"
        let request = HTTPRequest(
            method: "POST", url: url("/drop?access_token=\(secret)"),
            headers: [("Authorization", "Bearer \(secret)")], body: Array("x".utf8), timeout: .seconds(5))
        let error = try #require(await httpError(client, request))
        #expect(!String(describing: error).contains(secret))
        #expect(!String(reflecting: error).contains(secret))
        #expect(!String(describing: request).contains(secret))
        #expect(!String(reflecting: request).contains(secret))
        var dumped = ""
        dump(request, to: &dumped)
        #expect(!dumped.contains(secret))

        let injected = HTTPRequest(url: url("/echo"), headers: [("Authorization", "Bearer \(secret)\r\nX-Evil: 1")])
        let rejected = try #require(await httpError(client, injected))
        #expect(!String(describing: rejected).contains(secret))
    }

    @Test func redirectsAreReturnedNotFollowed() async throws {
        let redirecting = try LoopbackServer { request in
            LoopbackResponse(status: 302, headers: [("Location", "http://127.0.0.2:1/elsewhere")])
        }
        let response = try await client.send(HTTPRequest(url: redirecting.baseURL + "/", timeout: .seconds(5)))
        #expect(response.status == 302)
        #expect(response.headers["location"] == "http://127.0.0.2:1/elsewhere")
    }

    @Test func chunkedUploadAndExpectContinue() async throws {
        let body = Array(repeating: UInt8(ascii: "z"), count: 100_000)
        let chunked = try await client.send(HTTPRequest(
            method: "POST", url: url("/echo"), headers: [("Transfer-Encoding", "chunked")], body: body, timeout: .seconds(5)))
        #expect(chunked.body == body)
        let seen = try await client.send(HTTPRequest(
            method: "POST", url: url("/headers"), headers: [("Transfer-Encoding", "chunked")], body: body, timeout: .seconds(5)))
        #expect(text(seen).split(separator: "\n").contains("transfer-encoding: chunked"))
        let expecting = try await client.send(HTTPRequest(
            method: "PUT", url: url("/echo"), headers: [("Expect", "100-continue")], body: body, timeout: .seconds(5)))
        #expect(expecting.body == body)
    }

    @Test func clientsComeAndGo() async throws {
        let before = threadCount()
        for _ in 0..<20 {
            let shortLived = try CurlHTTPClient()
            #expect(try await shortLived.send(HTTPRequest(url: url("/status?code=204"), timeout: .seconds(5))).status == 204)
        }
        // Each client's driver thread ends with the client.
        #if os(Linux)
        var after = threadCount()
        for _ in 0..<40 where after > before + 5 {
            try await Task.sleep(for: .milliseconds(50))
            after = threadCount()
        }
        print("threads: \(before) before 20 short-lived clients, \(after) after")
        #expect(after <= before + 5, "threads: \(before) before, \(after) after 20 clients")
        #endif
    }
}

/// Bytes that differ from block to block (so a misplaced block shows), built by block copies
/// because the tests run unoptimized.
func bytePattern(count: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 1024)
    var block = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    var n = 0
    while bytes.count < count {
        block[0] = UInt8(truncatingIfNeeded: n)
        block[1] = UInt8(truncatingIfNeeded: n >> 8)
        bytes += block
        n += 1
    }
    bytes.removeLast(bytes.count - count)
    return bytes
}

/// Array equality by memcmp; `==` compares element by element in an unoptimized build.
func sameBytes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0 } }
}

/// The threads of this process (Linux).
func threadCount() -> Int {
    guard let dir = opendir("/proc/self/task") else { return 0 }
    defer { closedir(dir) }
    var count = 0
    while let entry = readdir(dir) {
        if entry.pointee.d_name.0 != UInt8(ascii: ".") { count += 1 }
    }
    return count
}

func ms(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
