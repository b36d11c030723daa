import Foundation

/// What a profile keeps: the client, its tokens and whose they are. Stored as JSON with
/// snake_case keys and ISO 8601 dates; printing it never shows a secret.
///
/// The client secret is kept because refreshing needs it; this 0600 file is the only copy calport
/// makes. A service-account profile keeps the path of its key file, not the key.
public struct StoredCredentials: Sendable, Equatable {
    public var profile: String
    public var clientType: ClientType
    /// The OAuth client id, or the service account's client_email.
    public var clientID: String
    public var clientSecret: String?
    public var tokenURI: String
    public var authURI: String?
    public var revokeURI: String
    /// The scopes granted (or asked for, when Google did not say).
    public var scopes: [String]
    public var refreshToken: String?
    public var accessToken: String?
    public var expiry: Date?
    /// The account's email address, when known.
    public var account: String?
    public var created: Date
    public var updated: Date?
    /// Service accounts: the JSON key file (absolute path).
    public var serviceAccountKeyFile: String?
    /// Service accounts with domain-wide delegation: the user acted as.
    public var subject: String?

    public init(profile: String, clientType: ClientType, clientID: String, clientSecret: String? = nil,
                tokenURI: String, authURI: String? = nil, revokeURI: String = GoogleEndpoints.revocation,
                scopes: [String], refreshToken: String? = nil, accessToken: String? = nil, expiry: Date? = nil,
                account: String? = nil, created: Date = Date(), updated: Date? = nil,
                serviceAccountKeyFile: String? = nil, subject: String? = nil) {
        self.profile = profile
        self.clientType = clientType
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenURI = tokenURI
        self.authURI = authURI
        self.revokeURI = revokeURI
        self.scopes = scopes
        self.refreshToken = refreshToken
        self.accessToken = accessToken
        self.expiry = expiry
        self.account = account
        self.created = created
        self.updated = updated
        self.serviceAccountKeyFile = serviceAccountKeyFile
        self.subject = subject
    }

    /// The stored access token if it stays valid for more than `margin` seconds after `now`.
    public func usableAccessToken(now: Date, margin: TimeInterval = 60) -> String? {
        guard let accessToken, let expiry, expiry.timeIntervalSince(now) > margin else { return nil }
        return accessToken
    }
}

extension StoredCredentials: Codable {
    enum CodingKeys: String, CodingKey {
        case version, profile, clientType = "client_type", clientID = "client_id", clientSecret = "client_secret"
        case tokenURI = "token_uri", authURI = "auth_uri", revokeURI = "revoke_uri", scopes
        case refreshToken = "refresh_token", accessToken = "access_token", expiry, account, created, updated
        case serviceAccountKeyFile = "service_account_key_file", subject
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profile = try c.decode(String.self, forKey: .profile)
        clientType = try c.decode(ClientType.self, forKey: .clientType)
        clientID = try c.decode(String.self, forKey: .clientID)
        clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret)
        tokenURI = try c.decode(String.self, forKey: .tokenURI)
        authURI = try c.decodeIfPresent(String.self, forKey: .authURI)
        revokeURI = try c.decodeIfPresent(String.self, forKey: .revokeURI) ?? GoogleEndpoints.revocation
        scopes = try c.decodeIfPresent([String].self, forKey: .scopes) ?? []
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
        accessToken = try c.decodeIfPresent(String.self, forKey: .accessToken)
        expiry = try c.decodeIfPresent(Date.self, forKey: .expiry)
        account = try c.decodeIfPresent(String.self, forKey: .account)
        created = try c.decodeIfPresent(Date.self, forKey: .created) ?? Date(timeIntervalSince1970: 0)
        updated = try c.decodeIfPresent(Date.self, forKey: .updated)
        serviceAccountKeyFile = try c.decodeIfPresent(String.self, forKey: .serviceAccountKeyFile)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(1, forKey: .version)
        try c.encode(profile, forKey: .profile)
        try c.encode(clientType, forKey: .clientType)
        try c.encode(clientID, forKey: .clientID)
        try c.encodeIfPresent(clientSecret, forKey: .clientSecret)
        try c.encode(tokenURI, forKey: .tokenURI)
        try c.encodeIfPresent(authURI, forKey: .authURI)
        try c.encode(revokeURI, forKey: .revokeURI)
        try c.encode(scopes, forKey: .scopes)
        try c.encodeIfPresent(refreshToken, forKey: .refreshToken)
        try c.encodeIfPresent(accessToken, forKey: .accessToken)
        try c.encodeIfPresent(expiry, forKey: .expiry)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encode(created, forKey: .created)
        try c.encodeIfPresent(updated, forKey: .updated)
        try c.encodeIfPresent(serviceAccountKeyFile, forKey: .serviceAccountKeyFile)
        try c.encodeIfPresent(subject, forKey: .subject)
    }
}

extension StoredCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "StoredCredentials(profile: \(profile), \(clientType.rawValue), client_id: \(clientID), account: "
            + "\(account ?? "?"), refresh token: \(refreshToken == nil ? "no" : "yes"))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: [
            "profile": profile, "clientType": clientType, "clientID": clientID, "tokenURI": tokenURI,
            "scopes": scopes, "account": account as Any, "expiry": expiry as Any,
            "hasRefreshToken": refreshToken != nil, "hasAccessToken": accessToken != nil,
            "serviceAccountKeyFile": serviceAccountKeyFile as Any, "subject": subject as Any,
        ])
    }
}

/// One JSON file per profile, `<config>/tokens/<profile>.json`, where `<config>` is
/// `$CALPORT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/calport`, else `~/.config/calport`.
///
/// Files are 0600 and the tokens directory 0700 (directories calport creates are 0700); every
/// save replaces the file atomically (a 0600 temporary file in the same directory, fsync,
/// rename), so a crash leaves the old file or the new one. A token file or tokens directory
/// found open to others is narrowed back (0600, 0700) when loaded, and `warnings` hears of it:
/// whoever read the file meanwhile holds the tokens. A symlinked token file is refused, never
/// followed.
public struct TokenStore: Sendable {
    public static let defaultProfile = "default"
    /// The configuration directory: `tokens/` is inside it.
    public let directory: String
    /// Told what the user should know but that does not stop the command (this module has no
    /// standard error of its own): the CLI prints it as `calport: warning: …`.
    public let warnings: (@Sendable (String) -> Void)?

    public init(directory: String, warnings: (@Sendable (String) -> Void)? = nil) {
        var trimmed = directory
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.directory = trimmed
        self.warnings = warnings
    }

    /// The store in the configuration directory the environment names.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                warnings: (@Sendable (String) -> Void)? = nil) throws(AuthError) {
        self.init(directory: try TokenStore.configDirectory(environment: environment), warnings: warnings)
    }

    /// `$CALPORT_CONFIG_DIR`, else `$XDG_CONFIG_HOME/calport` (when absolute, as the XDG spec
    /// requires), else `$HOME/.config/calport`.
    public static func configDirectory(environment: [String: String]) throws(AuthError) -> String {
        if let dir = environment["CALPORT_CONFIG_DIR"], !dir.isEmpty { return absolutePath(dir) }
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/calport" }
        guard let home = homeDirectory(environment: environment) else { throw .noConfigDirectory }
        return home + "/.config/calport"
    }

    public var tokensDirectory: String { directory + "/tokens" }

    /// Profile names: 1 to 64 ASCII letters, digits, "-" and "_", starting with a letter or digit
    /// (so no path separators, dots, or names an option parser would take for an option).
    public static func validateProfileName(_ name: String) throws(AuthError) {
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
        }
        guard (1...64).contains(bytes.count), isAlnum(bytes[0]),
              bytes.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }) else {
            throw .invalidProfileName(name)
        }
    }

    public func path(for profile: String) throws(AuthError) -> String {
        try TokenStore.validateProfileName(profile)
        return "\(tokensDirectory)/\(profile).json"
    }

    /// The profile's credentials; `AuthError.notLoggedIn` when it has none.
    public func load(_ profile: String) throws(AuthError) -> StoredCredentials {
        let path = try path(for: profile)
        guard let credentials = try loadIfPresent(profile) else { throw .notLoggedIn(profile: profile, path: path) }
        return credentials
    }

    public func loadIfPresent(_ profile: String) throws(AuthError) -> StoredCredentials? {
        let path = try path(for: profile)
        guard fileExists(path) else { return nil }
        let (bytes, narrowedFrom) = try readPrivateFile(path, mode: 0o600)
        if let narrowedFrom { warnNarrowed(path, from: narrowedFrom, to: 0o600) }
        narrowTokensDirectory()
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let credentials: StoredCredentials
        do {
            credentials = try decoder.decode(StoredCredentials.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .malformedTokenFile(path: path, problem: "\"\(key.stringValue)\" is missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .malformedTokenFile(path: path, problem: "\"\(key)\" has the wrong type")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            let key = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw .malformedTokenFile(path: path, problem: "\"\(key)\" has an invalid value")
        } catch {
            throw .malformedTokenFile(path: path, problem: "not valid JSON")
        }
        guard credentials.profile == profile else {
            throw .malformedTokenFile(path: path, problem: "it belongs to profile \"\(credentials.profile.prefix(64))\"")
        }
        return credentials
    }

    /// Writes the profile's file atomically with mode 0600, creating the directories (0700).
    public func save(_ credentials: StoredCredentials) throws(AuthError) {
        let path = try path(for: credentials.profile)
        try makeDirectories(tokensDirectory, mode: 0o700)
        narrowTokensDirectory()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data: Data
        do {
            data = try encoder.encode(credentials)
        } catch {
            throw .fileSystem(path: path, operation: "encode the credentials", reason: "\(type(of: error))")
        }
        try writeFileAtomically(path, Array(data) + [0x0A], mode: 0o600)
    }

    private func narrowTokensDirectory() {
        if let was = setDirectoryMode(tokensDirectory, 0o700, when: { $0 & 0o077 != 0 }) {
            warnNarrowed(tokensDirectory, from: was, to: 0o700)
        }
    }

    private func warnNarrowed(_ path: String, from: mode_t, to: mode_t) {
        func octal(_ m: mode_t) -> String {
            let digits = String(m, radix: 8)
            return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        }
        warnings?("\(path) was open to other users (mode \(octal(from))); it is now \(octal(to)). Anyone who could read "
                  + "the tokens could use your Google account: sign out with `calport auth logout` and sign in again "
                  + "to replace them.")
    }

    /// Deletes the profile's file; false when there was none.
    @discardableResult
    public func delete(_ profile: String) throws(AuthError) -> Bool {
        try removeFile(path(for: profile))
    }

    /// The profiles that have a file, sorted.
    public func profiles() throws(AuthError) -> [String] {
        try directoryEntries(tokensDirectory).compactMap { name -> String? in
            guard name.hasSuffix(".json") else { return nil }
            let profile = String(name.dropLast(5))
            return (try? TokenStore.validateProfileName(profile)) == nil ? nil : profile
        }.sorted()
    }
}
