import Crypto
import Foundation
import _CryptoExtras

/// A service account's JSON key as the Google Cloud console creates it:
///
///     {"type": "service_account", "project_id": "…", "private_key_id": "…",
///      "private_key": "-----BEGIN PRIVATE KEY-----\n…", "client_email": "…@….iam.gserviceaccount.com",
///      "client_id": "…", "token_uri": "https://oauth2.googleapis.com/token", …}
///
/// The key signs RS256 JWTs (RFC 7523) that Google trades for access tokens. Printing a
/// `ServiceAccountKey` never shows the private key.
public struct ServiceAccountKey: Sendable {
    public var clientEmail: String
    /// The numeric id Google Workspace admins enter to allow domain-wide delegation.
    public var clientID: String?
    public var privateKeyID: String
    public var tokenURI: String
    public var projectID: String?
    /// The file it was read from, for messages.
    public var path: String
    let signingKey: _RSA.Signing.PrivateKey

    /// Reads and checks a key file, private key included.
    public static func load(path: String) throws(AuthError) -> ServiceAccountKey {
        try parse(readCredentialFile(path), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws(AuthError) -> ServiceAccountKey {
        func bad(_ problem: String) -> AuthError { .malformedServiceAccountKey(path: path, problem: problem) }
        let json = try credentialJSON(bytes, path: path, malformed: bad)
        if json.object("installed") != nil { throw .clientSecretGivenAsServiceAccountKey(path: path, clientType: .installed) }
        if json.object("web") != nil { throw .clientSecretGivenAsServiceAccountKey(path: path, clientType: .web) }
        guard let type = json.string("type") else { throw bad("it has no \"type\": \"service_account\"") }
        guard type == "service_account" else {
            throw bad("its type is \"\(type.prefix(40))\", not \"service_account\"")
        }
        guard let email = json.string("client_email"), email.contains("@") else { throw bad("it has no client_email") }
        guard let pem = json.string("private_key"), !pem.isEmpty else { throw bad("it has no private_key") }
        guard let keyID = json.string("private_key_id"), !keyID.isEmpty else { throw bad("it has no private_key_id") }
        let tokenURI = json.string("token_uri") ?? GoogleEndpoints.token
        guard URLParts(tokenURI) != nil else { throw bad("token_uri \"\(tokenURI.prefix(100))\" is not an http(s) URL") }
        let signingKey: _RSA.Signing.PrivateKey
        do {
            signingKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw bad("private_key is not an RSA private key of 2048 bits or more in PEM form")
        }
        return ServiceAccountKey(
            clientEmail: email, clientID: json.string("client_id"), privateKeyID: keyID, tokenURI: tokenURI,
            projectID: json.string("project_id"), path: path, signingKey: signingKey)
    }

    /// A signed JWT-bearer assertion (RFC 7523 §2.1) for `scopes`:
    /// header `{"alg":"RS256","typ":"JWT","kid":private_key_id}`, claims `iss` (the client
    /// email), `scope`, `aud` (the token URI), `iat`, `exp` (`iat` + `lifetime`, at most an hour)
    /// and, for domain-wide delegation, `sub` (the user to act as).
    /// RSASSA-PKCS1-v1_5 with SHA-256, base64url without padding.
    public func assertion(scopes: [String], subject: String? = nil, issuedAt: Date = Date(),
                          lifetime: Int = 3600) throws(AuthError) -> String {
        let iat = Int(issuedAt.timeIntervalSince1970)
        let header: [String: Any] = ["alg": "RS256", "typ": "JWT", "kid": privateKeyID]
        var claims: [String: Any] = [
            "iss": clientEmail, "scope": scopes.joined(separator: " "), "aud": tokenURI,
            "iat": iat, "exp": iat + min(max(lifetime, 60), 3600),
        ]
        if let subject { claims["sub"] = subject }
        let signingInput = try Base64URL.encode(compactJSON(header)) + "." + Base64URL.encode(compactJSON(claims))
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try signingKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw .malformedServiceAccountKey(path: path, problem: "signing with private_key failed")
        }
        return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
    }

    private func compactJSON(_ object: [String: Any]) throws(AuthError) -> [UInt8] {
        do {
            return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        } catch {
            throw .malformedServiceAccountKey(path: path, problem: "cannot encode the JWT")
        }
    }
}

extension ServiceAccountKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "ServiceAccountKey(\(clientEmail), key id: \(privateKeyID), file: \(path))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: [
            "clientEmail": clientEmail, "privateKeyID": privateKeyID, "tokenURI": tokenURI,
            "privateKey": "<redacted>", "path": path,
        ])
    }
}
