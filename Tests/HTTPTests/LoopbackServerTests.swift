#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HTTP
import LoopbackHTTP
import Testing

@Suite(.timeLimit(.minutes(1)))
struct LoopbackServerTests {
    @Test func portZeroPicksAFreePortAndStopReleasesIt() async throws {
        let a = try makeTestServer()
        let b = try makeTestServer()
        #expect(a.port != 0 && b.port != 0 && a.port != b.port)
        a.stop()
        a.stop()  // idempotent
        // The port can be listened on again.
        let again = try LoopbackServer(port: a.port) { _ in .text("again") }
        let client = try CurlHTTPClient()
        #expect(text(try await client.send(HTTPRequest(url: again.baseURL + "/", timeout: .seconds(5)))) == "again")
    }

    @Test func queryItemsAreDecoded() async throws {
        let server = try makeTestServer()
        let client = try CurlHTTPClient()
        let response = try await client.send(HTTPRequest(
            url: server.baseURL + "/query?code=4%2F0Ab_x&scope=a+b&empty=&flag&state=%E2%9C%93", timeout: .seconds(5)))
        #expect(text(response) == "code=4/0Ab_x\nscope=a b\nempty=\nflag=\nstate=✓")
    }

    @Test func oneRequestThenStopLikeTheOAuthRedirect() async throws {
        final class Box: @unchecked Sendable {
            var server: LoopbackServer?
            var code: String?
        }
        let box = Box()
        let server = try LoopbackServer { request in
            box.code = request.query("code")
            box.server?.stop()  // from inside the handler: this response still goes out
            return .html("<p>calport is authorized. You can close this window.</p>")
        }
        box.server = server
        let client = try CurlHTTPClient()
        let response = try await client.send(HTTPRequest(url: server.baseURL + "/callback?code=abc&state=s", timeout: .seconds(5)))
        #expect(response.status == 200)
        #expect(text(response).contains("authorized"))
        #expect(response.headers["connection"] == "close")
        #expect(box.code == "abc")
        let error = await httpError(client, HTTPRequest(url: server.baseURL + "/callback", timeout: .seconds(5)))
        #expect(error?.isConnection == true)
        box.server = nil
    }

    @Test func stopClosesIdleKeepAliveConnectionsQuickly() async throws {
        let server = try makeTestServer()
        let client = try CurlHTTPClient()
        _ = try await client.send(HTTPRequest(url: server.baseURL + "/echo", timeout: .seconds(5)))
        #expect(server.openConnections == 1)
        let (_, seconds) = await timed { server.stop() }
        #expect(seconds < 5, "not the 60 s idle timeout")
        #expect(server.openConnections == 0)
    }

    @Test func oversizedBodiesAreRefused() async throws {
        let server = try makeTestServer(options: .init(maxRequestBytes: 1000))
        let client = try CurlHTTPClient()
        let small = try await client.send(HTTPRequest(method: "POST", url: server.baseURL + "/echo", body: Array(repeating: 1, count: 1000), timeout: .seconds(5)))
        #expect(small.status == 200)
        let large = try await client.send(HTTPRequest(method: "POST", url: server.baseURL + "/echo", body: Array(repeating: 1, count: 1001), timeout: .seconds(5)))
        #expect(large.status == 413)
    }

    @Test func aStuckClientIsDisconnectedAfterTheReadTimeout() async throws {
        let server = try makeTestServer(options: .init(readTimeout: .milliseconds(300), idleTimeout: .milliseconds(300)))
        // Half a request, then nothing.
        let fd = try rawConnect(port: server.port)
        defer { close(fd) }
        let partial = Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".utf8)
        _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let (closed, seconds) = await timed { waitForEOF(fd, timeoutMilliseconds: 3000) }
        #expect(closed)
        #expect(seconds < 2.9, "closed by the 300 ms read timeout, not by the 3 s wait")
        #expect(server.requestsHandled == 0)
        // An idle connection that never sends anything is closed too.
        let idle = try rawConnect(port: server.port)
        defer { close(idle) }
        #expect(waitForEOF(idle, timeoutMilliseconds: 3000))
    }

    @Test func malformedRequestsGet400() throws {
        let server = try makeTestServer()
        let fd = try rawConnect(port: server.port)
        defer { close(fd) }
        let garbage = Array("HELLO\r\n\r\n".utf8)
        _ = garbage.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let reply = readAll(fd, timeoutMilliseconds: 3000)
        #expect(reply.hasPrefix("HTTP/1.1 400 "))
    }

    @Test func pipelinedAndChunkedRequestsOnOneConnection() throws {
        let server = try makeTestServer()
        let fd = try rawConnect(port: server.port)
        defer { close(fd) }
        let requests = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n"
            + "GET /status?code=404 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        _ = Array(requests.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        let reply = readAll(fd, timeoutMilliseconds: 3000)
        #expect(reply.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(reply.contains("\r\n\r\nabcdefgHTTP/1.1 404 Not Found\r\n"))
        #expect(reply.hasSuffix("Connection: close\r\n\r\nstatus 404"))
        #expect(server.connectionsAccepted == 1)
    }
}

// MARK: A raw socket client, for what curl will not send

func rawConnect(port: UInt16) throws -> Int32 {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        close(fd)
        throw HTTPError.connection("connect failed")
    }
    return fd
}

/// Reads until the peer closes, or the timeout passes.
func readAll(_ fd: Int32, timeoutMilliseconds: Int32) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    while poll(&pfd, 1, timeoutMilliseconds) > 0 {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// Whether the peer closed the connection within the timeout.
func waitForEOF(_ fd: Int32, timeoutMilliseconds: Int32) -> Bool {
    var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    var chunk = [UInt8](repeating: 0, count: 4096)
    while poll(&pfd, 1, timeoutMilliseconds) > 0 {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return true }
    }
    return false
}
