import Foundation
import LoopbackHTTP

// Request dispatch: each HTTP request to its endpoint (OAuth, batch, or a Calendar API method of
// the discovery document), with authentication, parameter checks and faults before the call.

extension FakeGoogleServer {
    func handle(_ request: LoopbackRequest) -> LoopbackResponse {
        let path = request.pathWithoutQuery
        let latency = locked {
            stats.requests += 1
            stats.bytesReceived += request.body.count
            return faultSettings.latency
        }
        var response: LoopbackResponse
        var endpoint = "unknown"
        switch path {
        case "/token", "/o/oauth2/token", "/oauth2/v4/token":
            endpoint = "oauth.token"
            response = tokenEndpoint(request)
        case "/revoke", "/o/oauth2/revoke":
            endpoint = "oauth.revoke"
            response = revokeEndpoint(request)
        case "/o/oauth2/v2/auth", "/o/oauth2/auth":
            endpoint = "oauth.authorize"
            response = authorizeEndpoint(request)
        case "/batch/calendar/v3":
            endpoint = "batch"
            response = batch(request)
        default:
            if path.hasPrefix("/calendar/v3/") {
                response = single(request)
                endpoint = ""
            } else {
                response = jsonResponse(APIResult(status: 404, body: APIError.notFound.json))
            }
        }
        locked {
            stats.bytesSent += response.body.count
            if !endpoint.isEmpty {
                if endpoint != "batch" { stats.calls[endpoint, default: 0] += 1 }
                appendLog(LoggedRequest(method: request.method, path: path, endpoint: endpoint, status: response.status, inBatch: false))
            }
        }
        return latency > .zero ? response.delayed(by: latency) : response
    }

    func jsonResponse(_ result: APIResult) -> LoopbackResponse {
        var headers = result.headers
        var body: [UInt8] = []
        if let json = result.body {
            headers.insert(("Content-Type", "application/json; charset=UTF-8"), at: 0)
            body = FakeJSON.encode(json)
        }
        return LoopbackResponse(status: result.status, headers: headers, body: body)
    }

    static func errorResult(_ error: APIError) -> APIResult {
        APIResult(status: error.code, body: error.json, headers: error.extraHeaders)
    }

    /// A request under `calendar/v3/`.
    private func single(_ request: LoopbackRequest) -> LoopbackResponse {
        let call = APICall(
            httpMethod: request.method, segments: Self.segments(request.pathWithoutQuery), query: request.queryItems,
            headers: request.headers, body: request.body)
        switch perform(call, authorization: request.header("authorization"), inBatch: false, path: request.pathWithoutQuery) {
        case .respond(let result): return jsonResponse(result)
        case .drop: return .closeConnection
        }
    }

    /// The percent-decoded segments after "/calendar/v3/" ("+" stays "+" in paths).
    static func segments(_ path: String) -> [String] {
        var rest = Substring(path)
        if rest.hasPrefix("/calendar/v3/") { rest = rest.dropFirst("/calendar/v3/".count) }
        return rest.split(separator: "/", omittingEmptySubsequences: false).map { decodeSegment($0) }
    }

    /// A path segment: %XX escapes decoded, "+" kept.
    static func decodeSegment(_ s: Substring) -> String { percentDecode(s, plusIsSpace: false) }

    enum Outcome {
        case respond(APIResult)
        case drop
    }

    /// Which method a call is, and how to run it.
    private func route(_ call: APICall) -> (String, (APICall) throws(APIError) -> APIResult) {
        let s = call.segments
        let m = call.httpMethod
        let st = state
        switch (m, s.count) {
        case ("GET", 3) where s[0] == "users" && s[1] == "me" && s[2] == "calendarList":
            return ("calendar.calendarList.list", { c throws(APIError) in try st.listCalendars(c) })
        case ("GET", 4) where s[0] == "users" && s[1] == "me" && s[2] == "calendarList":
            return ("calendar.calendarList.get", { _ throws(APIError) in .ok(st.calendarListEntry(try st.calendar(s[3]))) })
        case ("POST", 1) where s[0] == "calendars":
            return ("calendar.calendars.insert", { c throws(APIError) in try st.insertCalendar(c) })
        case ("GET", 2) where s[0] == "calendars":
            return ("calendar.calendars.get", { _ throws(APIError) in .ok(st.calendarResource(try st.calendar(s[1]))) })
        case ("DELETE", 2) where s[0] == "calendars":
            return ("calendar.calendars.delete", { c throws(APIError) in try st.deleteCalendar(c, calendarId: s[1]) })
        case ("GET", 3) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.list", { c throws(APIError) in try st.listEvents(c, calendarId: s[1]) })
        case ("POST", 3) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.insert", { c throws(APIError) in try st.createEvent(c, calendarId: s[1], importing: false) })
        case ("POST", 4) where s[0] == "calendars" && s[2] == "events" && s[3] == "import":
            return ("calendar.events.import", { c throws(APIError) in try st.createEvent(c, calendarId: s[1], importing: true) })
        case ("GET", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.get", { c throws(APIError) in try st.getEvent(c, calendarId: s[1], eventId: s[3]) })
        case ("PUT", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.update", { c throws(APIError) in try st.updateEvent(c, calendarId: s[1], eventId: s[3], patch: false) })
        case ("PATCH", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.patch", { c throws(APIError) in try st.updateEvent(c, calendarId: s[1], eventId: s[3], patch: true) })
        case ("DELETE", 4) where s[0] == "calendars" && s[2] == "events":
            return ("calendar.events.delete", { c throws(APIError) in try st.deleteEvent(c, calendarId: s[1], eventId: s[3]) })
        case ("GET", 5) where s[0] == "calendars" && s[2] == "events" && s[4] == "instances":
            return ("calendar.events.instances", { c throws(APIError) in try st.listInstances(c, calendarId: s[1], eventId: s[3]) })
        default:
            // A method of the discovery document the fake does not implement: 501; else 404.
            if let methods = st.methods {
                for method in methods.methods.values where method.httpMethod == m && Self.matches(template: method.path, s) {
                    return (method.id, { _ throws(APIError) in throw APIError.notImplemented(method.id) })
                }
            }
            return ("unknown", { _ throws(APIError) in throw APIError.notFound })
        }
    }

    private static func matches(template: String, _ segments: [String]) -> Bool {
        let parts = template.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == segments.count else { return false }
        return zip(parts, segments).allSatisfy { p, s in p.hasPrefix("{") || p == s }
    }

    private static let writeMethods: Set<String> = ["POST", "PUT", "PATCH", "DELETE"]

    func perform(_ call: APICall, authorization: String?, inBatch: Bool, path: String) -> Outcome {
        locked {
            let (endpoint, run) = route(call)
            stats.calls[endpoint, default: 0] += 1
            let outcome = decideAndRun(call, endpoint: endpoint, run: run, authorization: authorization, inBatch: inBatch)
            let status: Int
            switch outcome {
            case .respond(let r): status = r.status
            case .drop: status = 0
            }
            appendLog(LoggedRequest(method: call.httpMethod, path: path, endpoint: endpoint, status: status, inBatch: inBatch))
            return outcome
        }
    }

    /// Under the lock: authentication, parameter checks, the fault decision, then the call.
    private func decideAndRun(
        _ call: APICall, endpoint: String, run: (APICall) throws(APIError) -> APIResult, authorization: String?, inBatch: Bool
    ) -> Outcome {
        guard isAuthorized(authorization) else { return .respond(Self.errorResult(.unauthenticated)) }
        if let value = call.q("sendUpdates") { stats.sendUpdates.append((endpoint, value)) }
        if let methods = state.methods, let problem = methods.queryProblems(call.query, method: endpoint).first {
            return .respond(Self.errorResult(problem))
        }
        let fault = decideFault(endpoint: endpoint, write: Self.writeMethods.contains(call.httpMethod), inBatch: inBatch)
        var dropAfter = false
        switch fault {
        case .error(let e):
            return .respond(Self.errorResult(e))
        case .drop:
            return .drop
        case .dropAfterApplying:
            dropAfter = true
        case .none:
            break
        }
        let result: APIResult
        do {
            result = try run(call)
        } catch {
            result = Self.errorResult(error)
        }
        return dropAfter ? .drop : .respond(result)
    }
}
