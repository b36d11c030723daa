/// The kind of credential a sign-in uses.
public enum ClientType: String, Sendable, Codable, Equatable {
    /// A "Desktop app" OAuth client (`"installed"` in its JSON): loopback redirect on any port.
    case installed
    /// A "Web application" OAuth client: only its registered redirect URIs.
    case web
    /// A service account signing its own requests (RFC 7523 JWT-bearer grant).
    case serviceAccount = "service_account"

    public var displayName: String {
        switch self {
        case .installed: "Desktop app OAuth client"
        case .web: "Web application OAuth client"
        case .serviceAccount: "service account"
        }
    }
}

/// Google's defaults, used when a client file leaves an endpoint out.
public enum GoogleEndpoints {
    public static let authorization = "https://accounts.google.com/o/oauth2/auth"
    public static let token = "https://oauth2.googleapis.com/token"
    public static let revocation = "https://oauth2.googleapis.com/revoke"
}

/// An OAuth client as the Google Cloud console downloads it ("client_secret_….json"):
///
///     {"installed": {"client_id": "…apps.googleusercontent.com", "project_id": "…",
///                    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
///                    "token_uri": "https://oauth2.googleapis.com/token",
///                    "client_secret": "GOCSPX-…", "redirect_uris": ["http://localhost"]}}
///
/// The top-level key is `installed` for a Desktop app client and `web` for a Web application
/// client. Printing a `ClientSecret` never shows the secret.
public struct ClientSecret: Sendable, Equatable {
    /// `.installed` or `.web`.
    public var type: ClientType
    public var clientID: String
    public var clientSecret: String
    public var authURI: String
    public var tokenURI: String
    public var redirectURIs: [String]
    public var projectID: String?
    /// The file it was read from, for messages.
    public var path: String

    public init(type: ClientType, clientID: String, clientSecret: String,
                authURI: String = GoogleEndpoints.authorization, tokenURI: String = GoogleEndpoints.token,
                redirectURIs: [String] = [], projectID: String? = nil, path: String = "(client secret)") {
        self.type = type
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.authURI = authURI
        self.tokenURI = tokenURI
        self.redirectURIs = redirectURIs
        self.projectID = projectID
        self.path = path
    }

    /// Reads and checks a client secret file.
    public static func load(path: String) throws(AuthError) -> ClientSecret {
        try parse(readCredentialFile(path), path: path)
    }

    /// Parses the JSON of a client secret file; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(AuthError) -> ClientSecret {
        func bad(_ problem: String) -> AuthError { .malformedClientSecret(path: path, problem: problem) }
        let json = try credentialJSON(bytes, path: path, malformed: bad)
        if let type = json.string("type") {
            switch type {
            case "service_account": throw .serviceAccountKeyGivenAsClientSecret(path: path)
            case "authorized_user":
                throw bad("this is an authorized-user credential (as gcloud writes), not the client's own JSON")
            case "external_account":
                throw bad("this is a workload identity federation credential, not an OAuth client")
            default: break
            }
        }
        let type: ClientType
        let client: JSONObject
        if let installed = json.object("installed") {
            type = .installed
            client = installed
        } else if let web = json.object("web") {
            type = .web
            client = web
        } else if json.string("private_key") != nil || json.string("client_email") != nil {
            throw .serviceAccountKeyGivenAsClientSecret(path: path)
        } else {
            let keys = json.fields.keys.sorted().prefix(5).map { "\"\($0)\"" }.joined(separator: ", ")
            throw bad("expected a top-level \"installed\" (Desktop app client) or \"web\" (Web application client) "
                + "object, found " + (keys.isEmpty ? "an empty object" : keys))
        }
        let section = type.rawValue
        guard let clientID = client.string("client_id")?.trimmingWhitespace(), !clientID.isEmpty else {
            throw bad("\"\(section)\" has no client_id")
        }
        guard let secret = client.string("client_secret"), !secret.isEmpty else {
            throw bad("\"\(section)\" has no client_secret (the console shows a client's secret only when it is "
                + "created or a secret is added: add a secret and download the JSON again)")
        }
        let authURI = client.string("auth_uri") ?? GoogleEndpoints.authorization
        let tokenURI = client.string("token_uri") ?? GoogleEndpoints.token
        for (name, uri) in [("auth_uri", authURI), ("token_uri", tokenURI)] {
            guard URLParts(uri) != nil else { throw bad("\(name) \"\(uri.prefix(100))\" is not an http(s) URL") }
        }
        if client["redirect_uris"] != nil && client.strings("redirect_uris") == nil {
            throw bad("redirect_uris is not a list of strings")
        }
        return ClientSecret(
            type: type, clientID: clientID, clientSecret: secret, authURI: authURI, tokenURI: tokenURI,
            redirectURIs: client.strings("redirect_uris") ?? [], projectID: client.string("project_id"), path: path)
    }
}

extension ClientSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "ClientSecret(\(type.rawValue), client_id: \(clientID), file: \(path))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: [
            "type": type, "clientID": clientID, "clientSecret": "<redacted>", "authURI": authURI,
            "tokenURI": tokenURI, "redirectURIs": redirectURIs, "path": path,
        ])
    }
}

/// A credential file's top-level JSON object, with errors that name the file.
func credentialJSON(_ bytes: [UInt8], path: String, malformed: (String) -> AuthError) throws(AuthError) -> JSONObject {
    let text = String(decoding: bytes.prefix(64), as: UTF8.self).trimmingWhitespace()
    if text.isEmpty { throw malformed("the file is empty") }
    if text.hasPrefix("-----BEGIN") { throw malformed("this is a PEM file, not JSON") }
    guard let json = JSONObject(bytes) else {
        throw malformed(text.hasPrefix("{") ? "invalid JSON (truncated or edited?)" : "not a JSON object")
    }
    return json
}
