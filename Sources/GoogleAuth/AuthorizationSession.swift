import Foundation
import LoopbackHTTP

/// One authorization-code sign-in (RFC 6749 §4.1 with PKCE, RFC 8252 for native apps): the
/// authorization URL to open, the redirect URI and, for loopback redirect URIs, a listener on
/// 127.0.0.1 that takes the one redirect, checks its state and answers the browser with a page
/// saying it can be closed. Any program on the machine can reach that port: a request with
/// another state (or none) is turned away and counted (`ignoredRedirects`), and the listener
/// goes on waiting, so such a request cannot end the login.
///
/// Use: create it, show or open `authorizationURL`, then `waitForCode(timeout:)`; a pasted
/// redirected address goes to `submitPasted(_:)` (for `--no-browser`, and for Web clients whose
/// redirect URI is not a loopback one). The first answer wins. `stop()` ends the listener
/// (also done once the redirect arrived).
public final class AuthorizationSession: Sendable {
    public let client: ClientSecret
    public let scopes: [String]
    public let redirectURI: String
    /// The random `state` sent; the redirect must bring it back unchanged.
    public let state: String
    public let pkce: PKCE
    public let authorizationURL: String
    private let result = OneShot<String>()
    private let listener: RedirectListener?
    private let ignored = IgnoredCount()

    /// - Parameters:
    ///   - redirectURI: nil for a Desktop client: `http://127.0.0.1:PORT/` on a free port (or
    ///     on `port`). A Web client needs one of its registered redirect URIs, exactly.
    ///   - loginHint: an email address to preselect on Google's account chooser.
    public init(client: ClientSecret, scopes: [String], redirectURI: String? = nil, port: UInt16 = 0,
                loginHint: String? = nil) throws(AuthError) {
        self.client = client
        self.scopes = scopes
        state = Base64URL.encode(Random.bytes(24))
        pkce = PKCE()
        let plan = try AuthorizationSession.plan(client: client, redirectURI: redirectURI, port: port)
        if let listen = plan.listen {
            let listener = try RedirectListener(port: listen.port, path: listen.path, state: state, result: result,
                                                ignored: ignored)
            self.listener = listener
            self.redirectURI = plan.uri.replacingAll("{port}", with: String(listener.port))
        } else {
            listener = nil
            self.redirectURI = plan.uri
        }
        var fields = [
            ("client_id", client.clientID), ("redirect_uri", self.redirectURI), ("response_type", "code"),
            ("scope", scopes.joined(separator: " ")), ("code_challenge", pkce.challenge),
            ("code_challenge_method", "S256"), ("state", state), ("access_type", "offline"), ("prompt", "consent"),
        ]
        if let loginHint, !loginHint.isEmpty { fields.append(("login_hint", loginHint)) }
        authorizationURL = client.authURI + (client.authURI.contains("?") ? "&" : "?") + FormCoding.encode(fields)
    }

    deinit { listener?.stop() }

    /// Whether a listener on 127.0.0.1 takes the redirect (else it must be pasted).
    public var listens: Bool { listener != nil }

    /// Requests to the listener that looked like a redirect but did not carry this login's
    /// state: an older browser tab, or another program on this machine.
    public var ignoredRedirects: Int { ignored.value }

    /// The authorization code, once the redirect arrived or was pasted.
    /// Throws `AuthError.loginTimedOut` after `timeout`, `.loginCancelled` when the task is
    /// cancelled, and the redirect's own error (`access_denied`, …) or `.stateMismatch`.
    public func waitForCode(timeout: Duration = .seconds(300)) async throws(AuthError) -> String {
        defer { stop() }
        let seconds = Int(timeout.components.seconds)
        return try await result.value(timeout: timeout, onTimeout: .loginTimedOut(seconds: seconds, redirectURI: redirectURI))
    }

    /// What became of a pasted address.
    public enum PasteOutcome: Sendable, Equatable {
        /// It carried the code (or the redirect's error, or a wrong state): the login is decided.
        case accepted
        /// It is not a redirected address; the reason says what is missing. Ask again.
        case unrecognized(String)
    }

    /// Takes the address the browser was redirected to, as the user pasted it.
    @discardableResult
    public func submitPasted(_ text: String) -> PasteOutcome {
        switch AuthorizationSession.parsePasted(text, expectedState: state) {
        case .success(let outcome):
            result.fulfill(outcome)
            return .accepted
        case .failure(let problem):
            return .unrecognized(problem.message)
        }
    }

    /// Ends the login with an error (the caller gave up).
    public func fail(_ error: AuthError) { result.fulfill(.failure(error)) }

    public func stop() { listener?.stop() }

    // MARK: - Redirect URIs

    struct Plan {
        var uri: String
        var listen: (port: UInt16, path: String)?
    }

    static func plan(client: ClientSecret, redirectURI: String?, port: UInt16) throws(AuthError) -> Plan {
        switch client.type {
        case .web:
            guard let uri = redirectURI else { throw .redirectURIRequired(registered: client.redirectURIs) }
            guard client.redirectURIs.contains(uri) else {
                throw .redirectURINotRegistered(uri: uri, registered: client.redirectURIs)
            }
            guard let parts = URLParts(uri) else { throw .invalidRedirectURI(uri: uri, problem: "not an http(s) URL") }
            // A loopback URI with a port can be listened on; anything else is pasted back.
            if parts.scheme == "http", parts.host == "127.0.0.1" || parts.host == "localhost",
               let p = parts.port, parts.query == nil {
                return Plan(uri: uri, listen: (UInt16(p), parts.path))
            }
            return Plan(uri: uri, listen: nil)
        case .installed:
            guard let uri = redirectURI else {
                return Plan(uri: "http://127.0.0.1:{port}/", listen: (port, "/"))
            }
            guard let parts = URLParts(uri), parts.scheme == "http",
                  ["127.0.0.1", "localhost", "[::1]"].contains(parts.host) else {
                throw .redirectURINotLoopback(uri: uri)
            }
            guard parts.host != "[::1]" else {
                throw .invalidRedirectURI(uri: uri, problem: "calport listens on 127.0.0.1 only; use http://127.0.0.1:PORT/")
            }
            guard parts.query == nil else { throw .invalidRedirectURI(uri: uri, problem: "it must not have a query") }
            if let p = parts.port { return Plan(uri: uri, listen: (UInt16(p), parts.path)) }
            // No port: any port is fine for a Desktop client, so take a free one.
            return Plan(uri: "http://\(parts.host):{port}\(parts.path)", listen: (port, parts.path))
        case .serviceAccount:
            throw .serviceAccountKeyGivenAsClientSecret(path: client.path)
        }
    }

    // MARK: - Redirect parameters

    struct Problem: Error { var message: String }

    /// The code of a redirect's query items; nil when they are not an OAuth redirect at all.
    static func interpret(_ items: [(name: String, value: String)], expectedState: String) -> Result<String, AuthError>? {
        let value = { (name: String) in items.first { $0.name == name }?.value }
        if let error = value("error") {
            // An error without this login's state is not this login's answer (Google returns the
            // state with errors too): otherwise anyone could end the login with "?error=x".
            guard value("state") == expectedState else { return .failure(.stateMismatch) }
            let clean = Redactor([])
            let detail = value("error_description").map { clean.clean($0) }.flatMap { $0.isEmpty ? nil : $0 }
            return .failure(.oauth(OAuthFailure(code: clean.clean(error, limit: 60), detail: detail, stage: .authorization)))
        }
        guard let code = value("code") else { return nil }
        guard value("state") == expectedState else { return .failure(.stateMismatch) }
        guard !code.isEmpty else { return .failure(.unrecognizedRedirect(problem: "its code is empty")) }
        return .success(code)
    }

    /// Reads a pasted redirected address: a full URL, or just its query string.
    static func parsePasted(_ text: String, expectedState: String) -> Result<Result<String, AuthError>, Problem> {
        var text = Substring(text.trimmingWhitespace())
        for (open, close) in [("\"", "\""), ("'", "'"), ("<", ">")] where text.hasPrefix(open) && text.hasSuffix(close) && text.count >= 2 {
            text = text.dropFirst().dropLast()
        }
        guard !text.isEmpty else { return .failure(Problem(message: "nothing was pasted")) }
        var query: Substring
        if let q = text.firstIndex(of: "?") {
            query = text[text.index(after: q)...]
        } else if text.contains("=") && !text.contains("://") {
            query = text
        } else {
            return .failure(Problem(message: text.contains("://")
                ? "the address has no query string with code= and state="
                : "paste the whole address, not only the code: calport needs its state= too"))
        }
        if let hash = query.firstIndex(of: "#") { query = query[..<hash] }
        let items = FormCoding.decode(query)
        if items.contains(where: { $0.name == "code" }) && !items.contains(where: { $0.name == "state" }) {
            return .failure(Problem(message: "the address has no state=: paste all of it"))
        }
        guard let outcome = interpret(items, expectedState: expectedState) else {
            return .failure(Problem(message: "the address has neither code= nor error="))
        }
        return .success(outcome)
    }
}

/// The loopback listener: a LoopbackServer that serves the redirect path until one redirect
/// decided the login, then stops.
final class RedirectListener: Sendable {
    private let server: LoopbackServer
    let port: UInt16

    init(port: UInt16, path: String, state: String, result: OneShot<String>, ignored: IgnoredCount) throws(AuthError) {
        let stopper = Stopper()
        do {
            server = try LoopbackServer(port: port, options: .init(readTimeout: .seconds(10), idleTimeout: .seconds(30))) { request in
                RedirectListener.answer(request, path: path, state: state, result: result, ignored: ignored, stopper: stopper)
            }
        } catch {
            let detail = port == 0 ? "\(error)" : "port \(port): \(error) (is another program using it?)"
            throw .listenerFailed(detail)
        }
        self.port = server.port
        stopper.set(server)
    }

    func stop() { server.stop() }

    private static func answer(_ request: LoopbackRequest, path: String, state: String, result: OneShot<String>,
                               ignored: IgnoredCount, stopper: Stopper) -> LoopbackResponse {
        guard request.pathWithoutQuery == path else { return .text("Not found\n", status: 404) }
        guard request.method == "GET" else { return .text("Method not allowed\n", status: 405) }
        guard let outcome = AuthorizationSession.interpret(request.queryItems, expectedState: state) else {
            return .html(page("calport is waiting for Google's sign-in redirect",
                              "This address only takes the redirect from Google's consent screen."), status: 400)
        }
        if case .failure(.stateMismatch) = outcome {
            ignored.increment()
            return .html(page("calport: not this sign-in",
                              "This answer does not belong to the sign-in calport is waiting for (it may come from an "
                                + "older tab), so it was ignored. Finish the sign-in in the tab calport opened."), status: 400)
        }
        guard result.fulfill(outcome) else {
            return .html(page("calport: already answered", "This sign-in was already completed or abandoned; return to the terminal."))
        }
        stopper.stop()  // the server finishes this response, then closes
        switch outcome {
        case .success:
            return .html(page("calport: signed in", "You can close this tab and return to the terminal."))
        case .failure:
            return .html(page("calport: sign-in did not complete",
                              "See the terminal for what went wrong and what to do. You can close this tab."), status: 400)
        }
    }

    private static func page(_ title: String, _ text: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(title)</title></head>
        <body style="font-family: system-ui, sans-serif; margin: 3em;"><h1>\(title)</h1><p>\(text)</p></body></html>

        """
    }

    /// Lets the handler stop the server it belongs to (it exists only after the handler).
    private final class Stopper: @unchecked Sendable {
        private let lock = NSLock()
        private weak var server: LoopbackServer?

        func set(_ server: LoopbackServer) { lock.withLock { self.server = server } }
        func stop() { lock.withLock { server }?.stop() }
    }
}

/// How many requests the listener turned away for their state.
final class IgnoredCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// A value delivered once, from any thread, to one async waiter. The first fulfilment wins.
final class OneShot<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<Value, AuthError>?
    private var continuation: CheckedContinuation<Result<Value, AuthError>, Never>?

    /// False when a result was there already.
    @discardableResult
    func fulfill(_ outcome: Result<Value, AuthError>) -> Bool {
        let waiter: CheckedContinuation<Result<Value, AuthError>, Never>?
        lock.lock()
        guard result == nil else {
            lock.unlock()
            return false
        }
        result = outcome
        waiter = continuation
        continuation = nil
        lock.unlock()
        waiter?.resume(returning: outcome)
        return true
    }

    func value(timeout: Duration, onTimeout: AuthError) async throws(AuthError) -> Value {
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled { self?.fulfill(.failure(onTimeout)) }
        }
        defer { timer.cancel() }
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Result<Value, AuthError>, Never>) in
                lock.lock()
                if let result {
                    lock.unlock()
                    waiter.resume(returning: result)
                } else {
                    continuation = waiter
                    lock.unlock()
                }
            }
        } onCancel: {
            fulfill(.failure(.loginCancelled))
        }
        return try outcome.get()
    }
}
