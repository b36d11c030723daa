import Crypto

/// The OAuth scopes calport asks for. Kept minimal:
///
/// - `calendar` (read and write every calendar the account can see), or `calendar.readonly`
///   when the user only exports;
/// - `openid email` for user sign-ins only, so `calport auth status` can show which account a
///   profile belongs to (Google then returns an id_token carrying the address). These are
///   non-sensitive scopes and grant no access to mail or profile data. Service accounts skip them:
///   their identity is in the key file.
public enum Scope {
    public static let calendar = "https://www.googleapis.com/auth/calendar"
    public static let calendarReadOnly = "https://www.googleapis.com/auth/calendar.readonly"
    public static let openID = "openid"
    public static let email = "email"
    /// What Google reports in place of "email" in a token response's granted scopes.
    public static let userInfoEmail = "https://www.googleapis.com/auth/userinfo.email"

    /// The scopes of a user sign-in.
    public static func forUser(readOnly: Bool = false, includeEmail: Bool = true) -> [String] {
        [readOnly ? calendarReadOnly : calendar] + (includeEmail ? [openID, email] : [])
    }

    /// The scopes of a service account.
    public static func forServiceAccount(readOnly: Bool = false) -> [String] {
        [readOnly ? calendarReadOnly : calendar]
    }

    /// The calendar scopes asked for that `granted` lacks; full `calendar` covers `calendar.readonly`.
    /// Identity scopes are not checked: without them only the account's address is unknown.
    public static func missingCalendarScopes(requested: [String], granted: [String]) -> [String] {
        let grantedSet = Set(granted)
        return requested.filter { scope in
            switch scope {
            case calendar: !grantedSet.contains(calendar)
            case calendarReadOnly: !grantedSet.contains(calendarReadOnly) && !grantedSet.contains(calendar)
            default: false
            }
        }
    }
}

/// Proof Key for Code Exchange (RFC 7636) with the S256 method: the verifier stays in calport,
/// only its SHA-256 travels with the authorization request.
public struct PKCE: Sendable {
    /// 64 characters of the unreserved set (RFC 7636 allows 43 to 128).
    public let verifier: String
    /// base64url(SHA-256(verifier)), without padding.
    public var challenge: String { PKCE.challenge(for: verifier) }
    public var method: String { "S256" }

    public init() {
        verifier = Random.string(count: 64, alphabet: Random.unreserved)
    }

    /// A given verifier (for tests); nil unless it has 43 to 128 unreserved characters.
    public init?(verifier: String) {
        guard (43...128).contains(verifier.count), verifier.allSatisfy({ Random.unreserved.contains($0) }) else {
            return nil
        }
        self.verifier = verifier
    }

    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(SHA256.hash(data: Array(verifier.utf8)))
    }
}

extension PKCE: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "PKCE(S256, challenge: \(challenge))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["challenge": challenge, "verifier": "<redacted>"]) }
}
