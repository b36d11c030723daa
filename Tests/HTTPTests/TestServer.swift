import HTTP
import LoopbackHTTP

/// A LoopbackServer with the routes the tests use:
///
///     /echo           answers 200 with the request body; X-Method, X-Path, X-Connection headers
///     /status?code=N  answers N with body "status N"
///     /headers        answers the request headers as "name: value" lines, sorted
///     /multi          a response header sent twice
///     /slow?ms=N      answers "slow" after N ms
///     /drop           closes the connection without answering
///     /query          answers the query items as "name=value" lines
func makeTestServer(options: LoopbackServer.Options = .init()) throws -> LoopbackServer {
    try LoopbackServer(options: options) { request in
        switch request.pathWithoutQuery {
        case "/echo":
            return LoopbackResponse(
                status: 200,
                headers: [("X-Method", request.method), ("X-Path", request.path), ("X-Connection", "\(request.connectionNumber)")],
                body: request.body)
        case "/status":
            let code = request.query("code").flatMap { Int($0) } ?? 200
            return .text("status \(code)", status: code)
        case "/headers":
            return .text(request.headers.map { "\($0.key): \($0.value)" }.sorted().joined(separator: "\n"))
        case "/multi":
            return LoopbackResponse(headers: [("X-Multi", "a"), ("x-multi", "b")], body: Array("multi".utf8))
        case "/slow":
            let ms = request.query("ms").flatMap { Int($0) } ?? 100
            return LoopbackResponse.text("slow").delayed(by: .milliseconds(ms))
        case "/drop":
            return .closeConnection
        case "/query":
            return .text(request.queryItems.map { "\($0.name)=\($0.value)" }.joined(separator: "\n"))
        default:
            return .text("not found", status: 404)
        }
    }
}

func text(_ response: HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

/// Seconds elapsed while running `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let clock = ContinuousClock()
    let start = clock.now
    let value = try await body()
    let elapsed = clock.now - start
    let (s, atto) = elapsed.components
    return (value, Double(s) + Double(atto) / 1e18)
}

/// The HTTPError a request threw, or nil if it threw none or another error.
func httpError(_ client: CurlHTTPClient, _ request: HTTPRequest) async -> HTTPError? {
    do {
        _ = try await client.send(request)
        return nil
    } catch let error as HTTPError {
        return error
    } catch {
        return nil
    }
}

extension HTTPError {
    var isConnection: Bool {
        if case .connection = self { return true }
        return false
    }
}
