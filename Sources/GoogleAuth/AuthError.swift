import HTTP

/// Which step of OAuth an error came from: the same error code calls for different advice at
/// different steps (`invalid_grant` on a refresh is an expired refresh token; on a code exchange
/// it is a stale authorization code).
public enum OAuthStage: String, Sendable {
    /// The redirect back from Google's consent screen.
    case authorization
    /// Trading the authorization code for tokens.
    case codeExchange
    /// Trading the refresh token for a new access token.
    case refresh
    /// Trading a service account's signed JWT for an access token.
    case serviceAccount
    /// Revoking a token at logout.
    case revocation
}

/// An OAuth error answered by Google (`error` and `error_description` of RFC 6749 §5.2, or the
/// `error` query parameter of the redirect), with what the advice needs to know.
public struct OAuthFailure: Sendable, Equatable {
    /// The RFC 6749 error code, such as "invalid_grant".
    public var code: String
    /// Google's `error_description`, shortened and with every secret of the request removed.
    public var detail: String?
    public var stage: OAuthStage
    /// The profile concerned, when known: the advice names the command to run.
    public var profile: String?
    /// The OAuth client (or service account) id: not a secret, and what the Admin console asks
    /// for when domain-wide delegation is missing.
    public var clientID: String?
    /// The user a service account impersonates (domain-wide delegation), if any.
    public var subject: String?

    public init(code: String, detail: String? = nil, stage: OAuthStage, profile: String? = nil,
                clientID: String? = nil, subject: String? = nil) {
        self.code = code
        self.detail = detail
        self.stage = stage
        self.profile = profile
        self.clientID = clientID
        self.subject = subject
    }
}

/// Everything that goes wrong in sign-in and token handling. Each `description` says what
/// happened and what to do about it.
///
/// No case ever holds an access token, refresh token, authorization code, client secret,
/// private key or signed assertion: text that comes from a server has every secret of the
/// request removed before it is stored here.
public enum AuthError: Error, Sendable, Equatable {
    // Credential files.
    case unreadableFile(path: String, reason: String)
    case malformedClientSecret(path: String, problem: String)
    /// A service-account key was given where an OAuth client secret was expected.
    case serviceAccountKeyGivenAsClientSecret(path: String)
    case malformedServiceAccountKey(path: String, problem: String)
    /// An OAuth client secret was given where a service-account key was expected.
    case clientSecretGivenAsServiceAccountKey(path: String, clientType: ClientType)
    /// An endpoint that would see a secret breaks `CredentialPolicy` (https, or plain http to
    /// loopback).
    case insecureEndpoint(name: String, url: String)

    // The sign-in flow.
    /// A Web client needs an explicit redirect URI.
    case redirectURIRequired(registered: [String])
    /// The redirect URI is not one of the Web client's registered redirect URIs.
    case redirectURINotRegistered(uri: String, registered: [String])
    /// A Desktop client was given a redirect URI that is not a loopback address.
    case redirectURINotLoopback(uri: String)
    case invalidRedirectURI(uri: String, problem: String)
    /// The loopback listener for the redirect could not start.
    case listenerFailed(String)
    /// The redirect's `state` is not the one this login sent.
    case stateMismatch
    /// What was pasted is not the address the browser was redirected to.
    case unrecognizedRedirect(problem: String)
    case loginTimedOut(seconds: Int, redirectURI: String)
    case loginCancelled
    /// Google accepted the login but did not grant the calendar scope (an unticked box on the
    /// consent screen).
    case scopeNotGranted(missing: [String])

    // Google's answers.
    /// An OAuth error answered by the authorization server.
    case oauth(OAuthFailure)
    /// The token or revocation endpoint answered something that is not OAuth.
    case unexpectedResponse(stage: OAuthStage, status: Int, detail: String)
    /// The request did not reach Google or the answer did not come back.
    case transport(stage: OAuthStage, message: String)
    /// The endpoint answered more than the HTTP client accepts (`HTTPError.responseTooLarge`).
    case responseTooLarge(stage: OAuthStage, limit: Int)

    // Stored credentials.
    case invalidProfileName(String)
    case notLoggedIn(profile: String, path: String)
    case noRefreshToken(profile: String)
    case malformedTokenFile(path: String, problem: String)
    /// A token file that is a symbolic link: refused, never followed.
    case symbolicLink(path: String)
    case fileSystem(path: String, operation: String, reason: String)
    case noConfigDirectory
    /// Revocation failed for a reason other than an already invalid token; the file was kept.
    /// `unreachable`: the revocation endpoint could not be reached (a transport failure), so
    /// running again later may succeed.
    case revocationFailed(profile: String, path: String, reason: String, unreachable: Bool)
    /// The token given in `CALPORT_ACCESS_TOKEN` was rejected by the API.
    case environmentTokenRejected
}

extension AuthError: CustomStringConvertible, CustomDebugStringConvertible {
    public var debugDescription: String { description }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .malformedClientSecret(let path, let problem):
            return "\(path): not a usable OAuth client secret file: \(problem). Download it from the Google Cloud console "
                + "(Google Auth Platform > Clients > your Desktop app client > Download JSON)."
        case .serviceAccountKeyGivenAsClientSecret(let path):
            return "\(path) is a service-account key, not an OAuth client secret. Sign in with it as a service account "
                + "(`calport auth login --service-account \(path)`), or give the JSON of a Desktop app OAuth client."
        case .malformedServiceAccountKey(let path, let problem):
            return "\(path): not a usable service-account key: \(problem). Create a JSON key in the Google Cloud console "
                + "(IAM & Admin > Service accounts > your account > Keys > Add key > JSON)."
        case .clientSecretGivenAsServiceAccountKey(let path, let type):
            return "\(path) is an OAuth client secret (\(type == .web ? "Web application" : "Desktop app") client), not a "
                + "service-account key. Use it for a user sign-in (`calport auth login --client-secret \(path)`)."
        case .insecureEndpoint(let name, let url):
            return "the \(name) \(url) is not https: calport sends secrets only over \(CredentialPolicy.rule)"

        case .redirectURIRequired(let registered):
            return "this is a Web application client: give the redirect URI to use (it must be one of the client's "
                + "registered redirect URIs\(listing(registered))), or better, create a Desktop app client, which "
                + "needs no registered redirect URI."
        case .redirectURINotRegistered(let uri, let registered):
            return "redirect_uri_mismatch: \(uri) is not one of this Web client's registered redirect URIs"
                + "\(listing(registered)); Google would refuse it. Register the exact URI (scheme, host, port, path and "
                + "trailing slash) under the client's Authorized redirect URIs, or use a Desktop app client."
        case .redirectURINotLoopback(let uri):
            return "\(uri): a Desktop app client can only redirect to a loopback address such as "
                + "http://127.0.0.1:8080/ (Google removed the copy-and-paste out-of-band flow). Leave the redirect URI "
                + "out to let calport pick a free port."
        case .invalidRedirectURI(let uri, let problem):
            return "invalid redirect URI \(uri): \(problem)"
        case .listenerFailed(let message):
            return "could not listen for the browser's redirect on 127.0.0.1: \(message)"
        case .stateMismatch:
            return "the sign-in response does not belong to this login (its state parameter differs), so it was "
                + "refused: it may come from an older browser tab or from someone else. Run `calport auth login` again "
                + "and finish it in the tab it opens."
        case .unrecognizedRedirect(let problem):
            return "that is not the address Google redirected to: \(problem). Copy the whole address from the browser's "
                + "address bar after approving access (it contains code= and state=)."
        case .loginTimedOut(let seconds, let redirectURI):
            return "no answer from the browser within \(seconds) seconds (waiting on \(redirectURI)). If Google showed "
                + "\"Error 403: access_denied\", the account is not a test user of the app: add it on the OAuth consent "
                + "screen (Google Auth Platform > Audience > Test users) or publish the app. If it showed "
                + "\"Error 400: redirect_uri_mismatch\", the client is not a Desktop app client: create one and use its "
                + "JSON. Then run `calport auth login` again."
        case .loginCancelled:
            return "sign-in cancelled: nothing was pasted"
        case .scopeNotGranted(let missing):
            return "Google did not grant calendar access (\(missing.joined(separator: " "))): on the consent screen, tick "
                + "the box that lets calport see and edit your calendars, then run `calport auth login` again. If the "
                + "box is not offered, add the scope to the app (Google Auth Platform > Data access)."

        case .oauth(let failure):
            return failure.advice
        case .unexpectedResponse(let stage, let status, let detail):
            return "the \(stage.endpointName) answered HTTP \(status)\(detail.isEmpty ? "" : ": \(detail)")"
        case .transport(let stage, let message):
            return "could not reach the \(stage.endpointName): \(message)"
        case .responseTooLarge(let stage, let limit):
            return "the \(stage.endpointName)'s answer exceeded \(limit) bytes, which no OAuth answer needs: check the "
                + "endpoint in the client secret file and any proxy"

        case .invalidProfileName(let name):
            return "invalid profile name \"\(name.prefix(80))\": use 1 to 64 letters, digits, '-' and '_', starting with "
                + "a letter or digit"
        case .notLoggedIn(let profile, let path):
            return "not signed in\(profile == TokenStore.defaultProfile ? "" : " (profile \(profile))"): \(path) does "
                + "not exist. Run `\(loginCommand(profile))` first, or set CALPORT_ACCESS_TOKEN."
        case .noRefreshToken(let profile):
            return "the stored sign-in has expired and holds no refresh token to renew it; run "
                + "`\(loginCommand(profile))` again"
        case .malformedTokenFile(let path, let problem):
            return "\(path): damaged token file: \(problem). Delete it and run `calport auth login` again."
        case .symbolicLink(let path):
            return "\(path) is a symbolic link; calport keeps tokens only in regular files of its own, so that it never "
                + "reads or changes a file elsewhere. Delete the link and run `calport auth login` again (or move the "
                + "file it points to into its place)."
        case .fileSystem(let path, let operation, let reason):
            return "\(path): cannot \(operation): \(reason)"
        case .noConfigDirectory:
            return "cannot tell where to keep credentials: set CALPORT_CONFIG_DIR, XDG_CONFIG_HOME or HOME"
        case .revocationFailed(let profile, let path, let reason, _):
            return "could not revoke the sign-in of profile \(profile): \(reason). \(path) was kept; try again, or "
                + "delete it without revoking (`calport auth logout --force`) and remove calport's access at "
                + "https://myaccount.google.com/permissions."
        case .environmentTokenRejected:
            return "Google rejected the access token in CALPORT_ACCESS_TOKEN (expired or revoked); set a fresh one, or "
                + "unset it to use the stored sign-in"
        }
    }

    /// Whether a new `calport auth login` is the way out: the stored sign-in is gone, expired,
    /// revoked, or belongs to a deleted client.
    public var requiresLogin: Bool {
        switch self {
        case .notLoggedIn, .noRefreshToken: return true
        case .oauth(let f):
            return (f.stage == .refresh && (f.code == "invalid_grant" || f.code == "unauthorized_client"))
                || ["invalid_client", "deleted_client", "disabled_client"].contains(f.code)
        default: return false
        }
    }
}

extension OAuthStage {
    var endpointName: String {
        switch self {
        case .authorization: "authorization endpoint"
        case .codeExchange, .refresh, .serviceAccount: "token endpoint"
        case .revocation: "revocation endpoint"
        }
    }
}

extension OAuthFailure {
    /// What happened and what to do, for each error Google answers.
    public var advice: String {
        let google = detail.map { " (Google: \($0))" } ?? ""
        let login = "`\(loginCommand(profile ?? TokenStore.defaultProfile))`"
        let head = "\(code)\(google): "
        switch (code, stage) {
        case ("access_denied", _):
            return head + "access was denied. Either the consent screen was declined, or the Google account is not "
                + "a test user of the app: while the app's publishing status is Testing, only listed test users may "
                + "sign in. Add the account on the OAuth consent screen (Google Auth Platform > Audience > Test users), "
                + "or publish the app, then run \(login) again."
        case ("redirect_uri_mismatch", _):
            return head + "Google does not accept this redirect URI for the client. Use a Desktop app client (it "
                + "accepts any http://127.0.0.1 port), or register the exact URI under the Web client's Authorized "
                + "redirect URIs."
        case ("invalid_grant", .refresh):
            return head + "the refresh token expired or was revoked. Apps in Testing status get refresh tokens that "
                + "expire after 7 days; tokens also die when access is removed at myaccount.google.com/permissions, "
                + "after 6 months unused, or when the password changes. Run \(login) again, or publish the app "
                + "(Google Auth Platform > Audience > Publish app) to get lasting tokens."
        case ("invalid_grant", .serviceAccount):
            return head + "Google refused the service account's signed request. Check that the key is still active "
                + "(it may have been deleted or rotated), that this machine's clock is right, and that "
                + (subject.map { "the user \($0) exists in the domain" } ?? "the service account exists") + "."
        case ("invalid_grant", _):
            return head + "the authorization code is expired, already used, or does not match this login. Run "
                + "\(login) again and finish it promptly."
        case ("invalid_client", _), ("deleted_client", _), ("disabled_client", _):
            if stage == .serviceAccount {
                return head + "Google does not know this service account or key: it was deleted or disabled. "
                    + "Create a new JSON key and sign in with it."
            }
            return head + "Google does not recognise the OAuth client: the client secret file is wrong (another "
                + "client's, or an old secret), or the client was deleted. Download the client's JSON again from "
                + "Google Auth Platform > Clients and run \(login) again."
        case ("unauthorized_client", .serviceAccount):
            return head + "the service account may not act for "
                + (subject ?? "this user") + ": authorize domain-wide delegation in the Google Workspace Admin console "
                + "(Security > Access and data control > API controls > Domain-wide delegation) for client ID "
                + "\(clientID ?? "(the service account's client_id)") with the calendar scope."
        case ("unauthorized_client", _):
            return head + "this client may not use this kind of grant, or the refresh token was issued to a different "
                + "client. Use a Desktop app client and run \(login) again."
        case ("invalid_scope", _):
            return head + "Google does not accept the requested scopes for this client. calport asks for "
                + "\(Scope.calendar) (or \(Scope.calendarReadOnly) when read-only) plus openid and email; make sure the "
                + "Google Calendar API is enabled in the project and the scopes are allowed on the consent screen."
        case ("admin_policy_enforced", _):
            return head + "the Google Workspace administrator blocks this app for the account. Ask them to trust the "
                + "OAuth client, or use another account."
        case ("org_internal", _):
            return head + "the app's audience is Internal: only accounts of its Google Workspace organization may sign "
                + "in. Use such an account, or make the audience External."
        case ("invalid_token", .revocation):
            return head + "the token was already expired or revoked."
        case ("invalid_request", _):
            return head + "Google found the request malformed. Run \(login) again; if it persists, the client secret "
                + "file may be for another kind of client (use a Desktop app client)."
        default:
            return head + "Google refused the \(stage.requestName). Run \(login) again."
        }
    }
}

extension OAuthStage {
    var requestName: String {
        switch self {
        case .authorization: "sign-in"
        case .codeExchange: "authorization code"
        case .refresh: "token refresh"
        case .serviceAccount: "service account's request"
        case .revocation: "revocation"
        }
    }
}

/// The command that signs a profile in again.
func loginCommand(_ profile: String) -> String {
    profile == TokenStore.defaultProfile
        ? "calport auth login --client-secret FILE"
        : "calport auth login --profile \(profile) --client-secret FILE"
}

private func listing(_ uris: [String]) -> String {
    uris.isEmpty ? "; it has none" : ": " + uris.joined(separator: ", ")
}

/// Removes secrets from text that is about to go into an error: a server may echo what it was
/// sent. Also drops control characters and caps the length.
///
/// A server echoes a form body as it came, so a secret arrives percent-encoded (a refresh
/// token `1//…` as `1%2F%2F…`), or decoded and then JSON-escaped (`1\/\/…`): every secret is
/// looked for in each of those forms. Text that repeats the request body itself (it holds a
/// secret field's `name=`) is not shown at all, so nothing of it can slip through.
struct Redactor: Sendable {
    /// Every secret in every form it may come back in, longest first.
    var secrets: [String]
    /// `name=` of each form field that carried a secret.
    var echoMarkers: [String]

    static let echoNotice = "(not shown: the answer repeats the request, which holds secrets)"

    // Google's own credential formats, whoever they belong to: access tokens (ya29.), refresh
    // tokens (1//), authorization codes (4/0) and client secrets (GOCSPX-), with "/" as it is,
    // percent-encoded or JSON-escaped, and "%" and "\" in the rest for the same reason.
    nonisolated(unsafe) static let googleCredential =
        /(?:ya29\.|1(?:\/|%2[Ff]|\\\/){2}|4(?:\/|%2[Ff]|\\\/)0|GOCSPX-)[A-Za-z0-9._~+\/=%\\-]*/

    /// - Parameters:
    ///   - secrets: what the request held that must not be shown.
    ///   - fields: the request's form fields: those whose value is a secret make up the markers
    ///     of an echoed body.
    init(_ secrets: [String?], sentIn fields: [(String, String)] = []) {
        // Short strings would redact innocent words; every real secret is far longer.
        let raw = secrets.compactMap { $0 }.filter { $0.count >= 6 }
        self.secrets = Set(raw.flatMap(Self.forms(of:))).sorted { $0.count > $1.count }
        echoMarkers = fields.filter { raw.contains($0.1) }.map { FormCoding.percentEncode($0.0) + "=" }
    }

    /// A secret as sent in a form body (percent-encoded, upper-case hex) and as a server may
    /// write it back: hex in lower case, decoded, and any of those JSON-escaped with or
    /// without "/" escaped.
    static func forms(of secret: String) -> [String] {
        let encoded = FormCoding.percentEncode(secret)
        var lowerHex = ""
        var rest = Substring(encoded)
        while let percent = rest.firstIndex(of: "%") {
            let escape = rest[percent...].prefix(3)
            lowerHex += rest[..<percent] + escape.lowercased()
            rest = rest[escape.endIndex...]
        }
        lowerHex += rest
        let plain = [secret, encoded, lowerHex]
        return plain + plain.map { jsonEscaped($0, slash: true) } + plain.map { jsonEscaped($0, slash: false) }
    }

    private static func jsonEscaped(_ text: String, slash: Bool) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "/" where slash: out += "\\/"
            case _ where scalar.value < 0x20: out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    func clean(_ text: String, limit: Int = 300) -> String {
        if echoMarkers.contains(where: { text.contains($0) }) { return Self.echoNotice }
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacingAll(secret, with: "[redacted]")
        }
        text = text.replacing(Redactor.googleCredential, with: "[redacted]")
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            scalars.append(scalar.properties.generalCategory == .control ? " " : scalar)
        }
        let flat = String(scalars).trimmingWhitespace()
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.firstRange(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }

    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
