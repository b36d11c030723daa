import Foundation
import HTTP

/// A successful answer of the token endpoint (RFC 6749 §5.1). Printing one never shows a token.
public struct TokenResponse: Sendable {
    public var accessToken: String
    /// Seconds the access token lives, as Google said.
    public var expiresIn: Int?
    /// Present on the first code exchange with `access_type=offline` and `prompt=consent`;
    /// refreshes normally return none (the old one stays valid).
    public var refreshToken: String?
    /// The scopes granted, which may be fewer than those asked for.
    public var scopes: [String]?
    public var tokenType: String?
    public var idToken: String?
    /// The account's address, from the id_token's payload.
    public var email: String?

    public init(accessToken: String, expiresIn: Int? = nil, refreshToken: String? = nil, scopes: [String]? = nil,
                tokenType: String? = nil, idToken: String? = nil) {
        self.accessToken = accessToken
        self.expiresIn = expiresIn
        self.refreshToken = refreshToken
        self.scopes = scopes
        self.tokenType = tokenType
        self.idToken = idToken
        self.email = idToken.flatMap(IDToken.email(in:))
    }

    /// When the access token expires, counted from `now` (the moment the request was sent).
    /// Without expires_in, an hour (Google's lifetime for access tokens).
    public func expiry(from now: Date) -> Date { now.addingTimeInterval(TimeInterval(expiresIn ?? 3600)) }
}

extension TokenResponse: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "TokenResponse(expires in: \(expiresIn.map(String.init) ?? "?") s, refresh token: "
            + "\(refreshToken == nil ? "no" : "yes"), scopes: \(scopes?.joined(separator: " ") ?? "?"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: [
            "expiresIn": expiresIn as Any, "hasRefreshToken": refreshToken != nil, "scopes": scopes as Any,
            "email": email as Any,
        ])
    }
}

/// The payload of an OpenID Connect id_token, read without verifying its signature. That is
/// allowed for a token received directly from the token endpoint over TLS (OpenID Connect Core
/// §3.1.3.7), and calport only uses it to show which account a profile belongs to.
public enum IDToken {
    public static func claims(in idToken: String) -> [String: Any]? {
        let parts = idToken.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let payload = Base64URL.decode(parts[1]) else { return nil }
        return JSONObject(payload)?.fields
    }

    public static func email(in idToken: String) -> String? {
        claims(in: idToken)?["email"] as? String
    }
}

/// Talks to Google's token and revocation endpoints (application/x-www-form-urlencoded posts,
/// JSON answers), and turns OAuth errors into `AuthError`s with advice.
public struct OAuthTokenClient: Sendable {
    public let http: any HTTPClient
    public var timeout: Duration

    public init(http: any HTTPClient, timeout: Duration = .seconds(30)) {
        self.http = http
        self.timeout = timeout
    }

    /// Trades an authorization code for tokens (RFC 6749 §4.1.3, with the PKCE verifier).
    public func exchangeCode(_ code: String, codeVerifier: String, redirectURI: String, client: ClientSecret,
                             profile: String? = nil) async throws(AuthError) -> TokenResponse {
        try await post(
            to: client.tokenURI,
            fields: [
                ("grant_type", "authorization_code"), ("code", code), ("code_verifier", codeVerifier),
                ("redirect_uri", redirectURI), ("client_id", client.clientID), ("client_secret", client.clientSecret),
            ],
            secrets: [code, codeVerifier, client.clientSecret],
            stage: .codeExchange, profile: profile, clientID: client.clientID, subject: nil)
    }

    /// Trades a refresh token for a new access token (RFC 6749 §6).
    public func refresh(refreshToken: String, clientID: String, clientSecret: String?, tokenURI: String,
                        profile: String? = nil) async throws(AuthError) -> TokenResponse {
        var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientID)]
        if let clientSecret { fields.append(("client_secret", clientSecret)) }
        return try await post(
            to: tokenURI, fields: fields, secrets: [refreshToken, clientSecret], stage: .refresh, profile: profile,
            clientID: clientID, subject: nil)
    }

    /// Trades a service account's signed JWT for an access token (RFC 7523 §2.1).
    public func serviceAccountToken(key: ServiceAccountKey, scopes: [String], subject: String? = nil,
                                    now: Date = Date(), profile: String? = nil) async throws(AuthError) -> TokenResponse {
        let assertion = try key.assertion(scopes: scopes, subject: subject, issuedAt: now)
        return try await post(
            to: key.tokenURI,
            fields: [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)],
            secrets: [assertion] + assertion.split(separator: ".").map(String.init),
            stage: .serviceAccount, profile: profile, clientID: key.clientID ?? key.clientEmail, subject: subject)
    }

    /// What a revocation came to.
    public enum RevocationOutcome: Sendable, Equatable {
        case revoked
        /// Google answered 400 invalid_token: the token had expired or was revoked already.
        case alreadyInvalid
    }

    /// Revokes a token (RFC 7009): a refresh token revokes the whole grant. Throws for any
    /// failure other than an already invalid token.
    public func revoke(token: String, endpoint: String) async throws(AuthError) -> RevocationOutcome {
        let stage = OAuthStage.revocation
        let response = try await send(to: endpoint, fields: [("token", token)], stage: stage)
        if (200..<300).contains(response.status) { return .revoked }
        let redactor = Redactor([token], sentIn: [("token", token)])
        let failure = oauthFailure(response, redactor: redactor, stage: stage, profile: nil, clientID: nil, subject: nil)
        if let failure, failure.code == "invalid_token" { return .alreadyInvalid }
        if let failure { throw .oauth(failure) }
        throw unexpected(response, redactor: redactor, stage: stage)
    }

    // MARK: -

    private func post(to url: String, fields: [(String, String)], secrets: [String?], stage: OAuthStage,
                      profile: String?, clientID: String?, subject: String?) async throws(AuthError) -> TokenResponse {
        let response = try await send(to: url, fields: fields, stage: stage)
        let redactor = Redactor(secrets, sentIn: fields)
        guard (200..<300).contains(response.status) else {
            if let failure = oauthFailure(response, redactor: redactor, stage: stage, profile: profile,
                                          clientID: clientID, subject: subject) {
                throw .oauth(failure)
            }
            throw unexpected(response, redactor: redactor, stage: stage)
        }
        // The body holds tokens: nothing of it goes into an error.
        guard let json = JSONObject(response.body) else {
            throw .unexpectedResponse(stage: stage, status: response.status, detail: "the answer is not a JSON object")
        }
        guard let accessToken = json.string("access_token"), !accessToken.isEmpty else {
            throw .unexpectedResponse(stage: stage, status: response.status, detail: "the answer has no access_token")
        }
        if let type = json.string("token_type"), type.lowercased() != "bearer" {
            throw .unexpectedResponse(stage: stage, status: response.status,
                                      detail: "unsupported token_type \"\(type.prefix(20))\"")
        }
        return TokenResponse(
            accessToken: accessToken, expiresIn: json.int("expires_in"),
            refreshToken: json.string("refresh_token").flatMap { $0.isEmpty ? nil : $0 },
            scopes: json.string("scope").map { $0.split(separator: " ").map(String.init) },
            tokenType: json.string("token_type"), idToken: json.string("id_token"))
    }

    private func send(to url: String, fields: [(String, String)], stage: OAuthStage) async throws(AuthError) -> HTTPResponse {
        guard URLParts(url) != nil else {
            throw .unexpectedResponse(stage: stage, status: 0, detail: "\(url.prefix(100)) is not an http(s) URL")
        }
        guard CredentialPolicy.allows(url) else {
            throw .insecureEndpoint(name: stage.endpointName, url: url)
        }
        let request = HTTPRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Array(FormCoding.encode(fields).utf8), timeout: timeout)
        do {
            return try await http.send(request)
        } catch HTTPError.responseTooLarge(let limit) {
            throw .responseTooLarge(stage: stage, limit: limit)
        } catch let error as HTTPError {
            throw .transport(stage: stage, message: error.description)
        } catch is CancellationError {
            throw .transport(stage: stage, message: "cancelled")
        } catch {
            throw .transport(stage: stage, message: String(describing: type(of: error)))
        }
    }

    /// The OAuth error of an error answer: `{"error": "invalid_grant", "error_description": "…"}`,
    /// or Google's API shape `{"error": {"code": 400, "message": "…", "status": "…"}}`.
    private func oauthFailure(_ response: HTTPResponse, redactor: Redactor, stage: OAuthStage, profile: String?,
                              clientID: String?, subject: String?) -> OAuthFailure? {
        guard let json = JSONObject(response.body) else { return nil }
        let code: String
        var detail: String?
        if let text = json.string("error") {
            code = text
            detail = json.string("error_description")
        } else if let nested = json.object("error") {
            guard let status = nested.string("status") ?? nested.string("message") else { return nil }
            code = status.lowercased()
            detail = nested.string("message")
        } else {
            return nil
        }
        let cleanCode = redactor.clean(code, limit: 60)
        let cleanDetail = detail.map { redactor.clean($0) }.flatMap { $0.isEmpty ? nil : $0 }
        return OAuthFailure(code: cleanCode, detail: cleanDetail, stage: stage, profile: profile, clientID: clientID,
                            subject: subject)
    }

    private func unexpected(_ response: HTTPResponse, redactor: Redactor, stage: OAuthStage) -> AuthError {
        let type = response.header("content-type") ?? ""
        // Cleaned before it is cut to length: a secret cut in two would no longer be found.
        let text = type.contains("json") || type.hasPrefix("text/plain")
            ? redactor.clean(String(decoding: response.body.prefix(65_536), as: UTF8.self), limit: 200) : ""
        return .unexpectedResponse(stage: stage, status: response.status, detail: text)
    }
}
