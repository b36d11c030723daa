import Crypto
import Foundation
import GoogleCalendar
import LoopbackHTTP

// Google's OAuth 2.0 endpoints as the fake serves them: token (authorization_code with PKCE,
// refresh_token, jwt-bearer), revoke, the consent page, and bearer-token checks for API calls.

extension FakeGoogleServer {
    /// An OAuth client the token endpoint insists on (nil: any client is accepted).
    public struct OAuthClient: Sendable, Equatable {
        public var id: String
        /// Nil: no secret is checked (public clients).
        public var secret: String?
        public init(id: String, secret: String? = nil) {
            self.id = id
            self.secret = secret
        }
    }

    // MARK: - Hooks

    /// Bearer tokens accepted besides those the token endpoint issued. Nil (the default): any
    /// non-empty token that was not revoked or expired.
    public var acceptedTokens: Set<String>? {
        get { locked { accepted } }
        set { locked { accepted = newValue } }
    }

    /// Every access token used or issued so far stops working (401), as when they expire; tokens
    /// issued afterwards work.
    public func expireAccessTokens() {
        locked {
            revoked.formUnion(issuedAccess.keys)
            revoked.formUnion(seenTokens)
            revoked.formUnion(accepted ?? [])
            issuedAccess = [:]
        }
    }

    /// Issued access tokens older than this are refused (401). Nil: they never expire.
    public var accessTokenLifetime: Duration? {
        get { locked { accessLifetime } }
        set { locked { accessLifetime = newValue } }
    }

    /// False: every refresh_token grant answers 400 `invalid_grant` "Token has been expired or
    /// revoked." (as after 7 days in Testing mode).
    public var refreshTokensValid: Bool {
        get { locked { refreshValid } }
        set { locked { refreshValid = newValue } }
    }

    /// When set, the token endpoint requires this client (`client_id`/`client_secret` in the
    /// form or HTTP Basic), else 401 `invalid_client`.
    public var oauthClient: OAuthClient? {
        get { locked { client } }
        set { locked { client = newValue } }
    }

    /// Whether the authorization_code grant accepts codes that were never registered (with any
    /// redirect_uri and no PKCE check). Default true.
    public var acceptsUnregisteredAuthorizationCodes: Bool {
        get { locked { acceptsUnregistered } }
        set { locked { acceptsUnregistered = newValue } }
    }

    /// The consent page redirects with `error=access_denied`.
    public var consentDenied: Bool {
        get { locked { denyConsent } }
        set { locked { denyConsent = newValue } }
    }

    /// Registers an authorization code: the grant then checks `redirect_uri` (when given) and the
    /// PKCE `code_verifier` against `codeChallenge` (method "S256" or "plain"). Codes work once.
    public func registerAuthorizationCode(
        _ code: String, redirectURI: String? = nil, codeChallenge: String? = nil, codeChallengeMethod: String = "S256",
        scope: String? = nil
    ) {
        locked { codes[code] = (redirectURI, codeChallenge, codeChallengeMethod, scope) }
    }

    /// JWT assertions received by the jwt-bearer grant, in order.
    public var receivedAssertions: [String] { locked { assertions } }

    /// Under the lock: whether an API call's Authorization header carries a token the fake accepts.
    func isAuthorized(_ header: String?) -> Bool {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
        let token = header.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, !revoked.contains(token) else { return false }
        if let issued = issuedAccess[token] {
            if let lifetime = accessLifetime {
                let age = DispatchTime.now().uptimeNanoseconds - issued
                let limit = UInt64(lifetime.components.seconds) * 1_000_000_000 + UInt64(lifetime.components.attoseconds / 1_000_000_000)
                return age <= limit
            }
            return true
        }
        seenTokens.insert(token)
        return accepted?.contains(token) ?? true
    }

    // MARK: - Endpoints

    /// The S256 challenge of a PKCE verifier (RFC 7636 §4.2): base64url(SHA-256(verifier)).
    static func s256Challenge(_ verifier: String) -> String { base64URL(SHA256.hash(data: Array(verifier.utf8))) }

    /// base64url without padding (RFC 4648 §5), as PKCE challenges and JWT parts are written.
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private func oauthError(_ error: String, _ description: String, status: Int = 400) -> LoopbackResponse {
        .json(FakeJSON.string(.object(["error": .string(error), "error_description": .string(description)])), status: status)
    }

    private static func form(_ request: LoopbackRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, value) in LoopbackRequest(method: "POST", path: "/?" + request.bodyText).queryItems where fields[name] == nil {
            fields[name] = value
        }
        for (name, value) in request.queryItems where fields[name] == nil { fields[name] = value }
        return fields
    }

    private func issueAccessToken(refresh: String?) -> String {
        tokenCounter += 1
        let token = "fake-access-\(tokenCounter)"
        issuedAccess[token] = DispatchTime.now().uptimeNanoseconds
        if let refresh { accessByRefresh[refresh, default: []].append(token) }
        return token
    }

    func tokenEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard request.method == "POST" else { return oauthError("invalid_request", "Method not allowed", status: 405) }
        var fields = Self.form(request)
        if let basic = request.header("authorization"), basic.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(basic.dropFirst(6))), let pair = String(data: data, encoding: .utf8),
           let colon = pair.firstIndex(of: ":") {
            fields["client_id"] = fields["client_id"] ?? String(pair[..<colon]).removingPercentEncoding
            fields["client_secret"] = fields["client_secret"] ?? String(pair[pair.index(after: colon)...]).removingPercentEncoding
        }
        return locked {
            stats.tokenRequests.append(fields)
            if let client {
                guard fields["client_id"] == client.id else { return oauthError("invalid_client", "The OAuth client was not found.", status: 401) }
                if let secret = client.secret, fields["client_secret"] != secret {
                    return oauthError("invalid_client", "Unauthorized", status: 401)
                }
            }
            let scopeDefault = "https://www.googleapis.com/auth/calendar"
            switch fields["grant_type"] ?? "" {
            case "authorization_code":
                guard let code = fields["code"], !code.isEmpty else {
                    return oauthError("invalid_request", "Missing required parameter: code")
                }
                if usedCodes.contains(code) { return oauthError("invalid_grant", "Bad Request") }
                var scope = scopeDefault
                if let registered = codes[code] {
                    if let uri = registered.redirectURI, fields["redirect_uri"] != uri {
                        return oauthError("redirect_uri_mismatch", "Bad Request")
                    }
                    if let challenge = registered.challenge {
                        guard let verifier = fields["code_verifier"] else { return oauthError("invalid_grant", "Missing code verifier.") }
                        let computed = registered.method.uppercased() == "PLAIN" ? verifier : Self.s256Challenge(verifier)
                        guard computed == challenge else { return oauthError("invalid_grant", "Invalid code verifier.") }
                    }
                    scope = registered.scope ?? scopeDefault
                } else if !acceptsUnregistered {
                    return oauthError("invalid_grant", "Malformed auth code.")
                }
                usedCodes.insert(code)
                tokenCounter += 1
                let refresh = "fake-refresh-\(tokenCounter)"
                let access = issueAccessToken(refresh: refresh)
                refreshScopes[refresh] = scope
                // Google adds an OpenID Connect id_token naming the account when asked for it.
                let words = scope.split(separator: " ")
                let idToken = words.contains("openid") || words.contains("email")
                    ? Self.idToken(email: state.primaryId, audience: fields["client_id"] ?? "") : nil
                return tokenResponse(access: access, refresh: refresh, scope: scope, idToken: idToken)
            case "refresh_token":
                guard let refresh = fields["refresh_token"], !refresh.isEmpty else {
                    return oauthError("invalid_request", "Missing required parameter: refresh_token")
                }
                guard refreshValid, !revokedRefresh.contains(refresh) else {
                    return oauthError("invalid_grant", "Token has been expired or revoked.")
                }
                return tokenResponse(access: issueAccessToken(refresh: refresh), refresh: nil,
                                     scope: refreshScopes[refresh] ?? scopeDefault)
            case "urn:ietf:params:oauth:grant-type:jwt-bearer":
                let assertion = fields["assertion"] ?? ""
                assertions.append(assertion)
                let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
                guard parts.count == 3, parts.allSatisfy({ !$0.isEmpty }) else {
                    return oauthError("invalid_grant", "Invalid JWT Signature.")
                }
                return tokenResponse(access: issueAccessToken(refresh: nil), refresh: nil, scope: nil)
            case let other:
                return oauthError("unsupported_grant_type", "Invalid grant_type: \(other)")
            }
        }
    }

    private func tokenResponse(access: String, refresh: String?, scope: String?, idToken: String? = nil) -> LoopbackResponse {
        var r: [String: JSONValue] = [
            "access_token": .string(access), "expires_in": .number(3599), "token_type": .string("Bearer"),
        ]
        if let refresh { r["refresh_token"] = .string(refresh) }
        if let idToken { r["id_token"] = .string(idToken) }
        if let scope { r["scope"] = .string(scope) }
        return .json(FakeJSON.string(.object(r)))
    }

    /// An id_token whose signature part is not a real signature: calport reads the payload of an
    /// id_token only to show the account, and never verifies it.
    static func idToken(email: String, audience: String) -> String {
        let header = FakeJSON.string(.object(["alg": .string("RS256"), "typ": .string("JWT")]))
        let payload = FakeJSON.string(.object([
            "iss": .string("https://accounts.google.com"), "aud": .string(audience), "email": .string(email),
            "email_verified": .bool(true), "sub": .string("1000000000"),
        ]))
        return Self.base64URL(Array(header.utf8)) + "." + Self.base64URL(Array(payload.utf8)) + ".c2ln"
    }

    func revokeEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard request.method == "POST" || request.method == "GET" else {
            return oauthError("invalid_request", "Method not allowed", status: 405)
        }
        let token = Self.form(request)["token"] ?? ""
        guard !token.isEmpty else { return oauthError("invalid_request", "Bad Request") }
        return locked {
            if revoked.contains(token) || revokedRefresh.contains(token) { return oauthError("invalid_token", "Token expired or revoked") }
            if token.hasPrefix("fake-refresh-") || accessByRefresh[token] != nil {
                revokedRefresh.insert(token)
                revoked.formUnion(accessByRefresh[token] ?? [])
            } else {
                revoked.insert(token)
                issuedAccess.removeValue(forKey: token)
            }
            return .json("{}")
        }
    }

    func authorizeEndpoint(_ request: LoopbackRequest) -> LoopbackResponse {
        guard let redirect = request.query("redirect_uri"), !redirect.isEmpty else {
            return .html("<h1>Error 400: invalid_request</h1><p>Missing required parameter: redirect_uri</p>", status: 400)
        }
        guard request.query("response_type") == "code", let clientID = request.query("client_id"), !clientID.isEmpty else {
            return .html("<h1>Error 400: invalid_request</h1><p>response_type=code and client_id are required</p>", status: 400)
        }
        if let client = oauthClient, client.id != clientID {
            return .html("<h1>Error 401: invalid_client</h1><p>The OAuth client was not found.</p>", status: 401)
        }
        var items: [(String, String)] = []
        let denied = consentDenied
        if denied {
            items.append(("error", "access_denied"))
        } else {
            let code: String = locked {
                tokenCounter += 1
                let code = "fake-code-\(tokenCounter)"
                codes[code] = (redirect, request.query("code_challenge"), request.query("code_challenge_method") ?? "plain",
                               request.query("scope"))
                return code
            }
            items.append(("code", code))
            if let scope = request.query("scope") { items.append(("scope", scope)) }
        }
        if let state = request.query("state") { items.append(("state", state)) }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = items.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $1)" }.joined(separator: "&")
        let location = redirect + (redirect.contains("?") ? "&" : "?") + query
        return LoopbackResponse(status: 302, headers: [("Location", location), ("Content-Type", "text/html; charset=utf-8")],
                                body: Array("<a href=\"\(location)\">continue</a>".utf8))
    }
}
