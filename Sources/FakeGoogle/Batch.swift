import Foundation
import LoopbackHTTP

// The batch endpoint: a multipart/mixed request of up to 1000 calls, each run as a single call
// would be (faults, quota and authentication per part), answered in one multipart/mixed response.

extension FakeGoogleServer {
    func batch(_ request: LoopbackRequest) -> LoopbackResponse {
        func fail(_ e: APIError) -> LoopbackResponse { jsonResponse(Self.errorResult(e)) }
        guard request.method == "POST" else { return fail(.notFound) }
        let outerAuth = request.header("authorization")
        let outer: Decision = locked {
            stats.calls["batch", default: 0] += 1
            guard isAuthorized(outerAuth) else { return .error(.unauthenticated) }
            return decideFault(endpoint: "batch", write: false, inBatch: false, wholeBatch: true)
        }
        switch outer {
        case .error(let e): return fail(e)
        case .drop: return .closeConnection
        case .none, .dropAfterApplying: break
        }
        guard let contentType = request.header("content-type"), contentType.lowercased().hasPrefix("multipart/mixed"),
              let boundary = Multipart.boundary(contentType) else {
            return fail(.invalid("Batch requests must be multipart/mixed with a boundary."))
        }
        let parts = Multipart.split(request.body, boundary: boundary)
        guard !parts.isEmpty else { return fail(.invalid("The batch request contains no requests.")) }
        guard parts.count <= 1000 else { return fail(.invalid("A batch request cannot contain more than 1000 requests.")) }

        var responses: [(contentID: String?, status: Int, headers: [(String, String)], body: [UInt8])] = []
        for part in parts {
            let contentID = part.headers["content-id"]
            guard let inner = Multipart.innerRequest(part.body) else {
                let e = APIError.invalid("Each batch part must hold an HTTP request (Content-Type: application/http).")
                responses.append((contentID, 400, [("Content-Type", "application/json; charset=UTF-8")], FakeJSON.encode(e.json)))
                continue
            }
            let target = LoopbackRequest(method: inner.method, path: inner.target)
            var result: APIResult
            if target.pathWithoutQuery.hasPrefix("/calendar/v3/") {
                let call = APICall(
                    httpMethod: inner.method, segments: Self.segments(target.pathWithoutQuery), query: target.queryItems,
                    headers: inner.headers, body: inner.body)
                switch perform(call, authorization: inner.headers["authorization"] ?? outerAuth, inBatch: true, path: target.pathWithoutQuery) {
                case .respond(let r): result = r
                case .drop: result = Self.errorResult(.backendError)
                }
            } else {
                result = Self.errorResult(.notFound)
            }
            var headers = result.headers
            var body: [UInt8] = []
            if let json = result.body {
                headers.insert(("Content-Type", "application/json; charset=UTF-8"), at: 0)
                body = FakeJSON.encode(json)
            }
            responses.append((contentID, result.status, headers, body))
        }
        if case .dropAfterApplying = outer { return .closeConnection }

        let responseBoundary = "batch_" + locked { state.newId() }
        var out: [UInt8] = []
        for r in responses {
            var head = "--\(responseBoundary)\r\nContent-Type: application/http\r\n"
            if let id = r.contentID { head += "Content-ID: \(Multipart.responseContentID(id))\r\n" }
            head += "\r\nHTTP/1.1 \(r.status) \(reasonPhrase(r.status))\r\n"
            for (name, value) in r.headers { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(r.body.count)\r\n\r\n"
            out += Array(head.utf8)
            out += r.body
            out += Array("\r\n".utf8)
        }
        out += Array("--\(responseBoundary)--\r\n".utf8)
        return LoopbackResponse(status: 200, headers: [("Content-Type", "multipart/mixed; boundary=\(responseBoundary)")], body: out)
    }
}
