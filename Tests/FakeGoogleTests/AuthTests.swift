import Foundation
import HTTP
import Testing
@testable import FakeGoogle

@Suite(.timeLimit(.minutes(1)))
struct AuthTests {
    @Test func apiNeedsABearerToken() async throws {
        let fake = try Fake()
        let none = try await fake.events().status
        #expect(none == 200)
        let missing = try await fake.send("GET", "calendar/v3/calendars/primary/events", authorized: false)
        #expect(missing.status == 401)
        #expect(missing.reason == "authError")
        #expect(missing.message?.hasPrefix("Request had invalid authentication credentials.") == true)
        #expect((missing["error"] as? [String: Any])?["status"] as? String == "UNAUTHENTICATED")
        #expect(missing.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", headers: [("Authorization", "Basic abc")], authorized: false).status == 401)

        fake.server.acceptedTokens = ["good"]
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", token: "good").status == 200)
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", token: "bad").status == 401)
        fake.server.expireAccessTokens()
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", token: "good").status == 401)
    }

    @Test func refreshTokenGrant() async throws {
        let fake = try Fake()
        let ok = try await fake.form("token", [("grant_type", "refresh_token"), ("refresh_token", "r1"), ("client_id", "c")])
        #expect(ok.status == 200)
        let access = try #require(ok["access_token"] as? String)
        #expect(access.hasPrefix("fake-access-"))
        #expect(ok["expires_in"] as? Int == 3599)
        #expect(ok["token_type"] as? String == "Bearer")
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", token: access).status == 200)

        fake.server.refreshTokensValid = false
        let expired = try await fake.form("token", [("grant_type", "refresh_token"), ("refresh_token", "r1")])
        #expect(expired.status == 400)
        #expect(expired["error"] as? String == "invalid_grant")
        #expect(expired["error_description"] as? String == "Token has been expired or revoked.")
        #expect(try await fake.form("token", [("grant_type", "password")])["error"] as? String == "unsupported_grant_type")
        #expect(fake.server.requestCount(for: "oauth.token") == 3)
    }

    @Test func authorizationCodeWithPKCE() async throws {
        let fake = try Fake()
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        fake.server.registerAuthorizationCode("code-1", redirectURI: "http://127.0.0.1:9/cb",
                                              codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        func exchange(_ fields: [(String, String)]) async throws -> Reply {
            try await fake.form("token", [("grant_type", "authorization_code"), ("code", "code-1")] + fields)
        }
        #expect(try await exchange([("redirect_uri", "http://127.0.0.1:9/other"), ("code_verifier", verifier)])["error"] as? String == "redirect_uri_mismatch")
        let wrong = try await exchange([("redirect_uri", "http://127.0.0.1:9/cb"), ("code_verifier", "nope")])
        #expect(wrong["error"] as? String == "invalid_grant")
        let good = try await exchange([("redirect_uri", "http://127.0.0.1:9/cb"), ("code_verifier", verifier)])
        #expect(good.status == 200)
        let refresh = try #require(good["refresh_token"] as? String)
        #expect(good["access_token"] as? String != nil)
        // Codes work once.
        #expect(try await exchange([("redirect_uri", "http://127.0.0.1:9/cb"), ("code_verifier", verifier)]).status == 400)

        // Revoking the refresh token kills it and its access tokens.
        let access = try #require(good["access_token"] as? String)
        #expect(try await fake.form("revoke?token=\(refresh)", []).status == 200)
        #expect(try await fake.form("token", [("grant_type", "refresh_token"), ("refresh_token", refresh)])["error"] as? String == "invalid_grant")
        #expect(try await fake.send("GET", "calendar/v3/calendars/primary/events", token: access).status == 401)
    }

    @Test func consentPageRedirectsWithACode() async throws {
        let fake = try Fake()
        let challenge = FakeGoogleServer.s256Challenge("verifier-verifier-verifier-verifier-verifier")
        let url = fake.server.authorizationURL + "?client_id=c&response_type=code&redirect_uri=" + percentEncoded("http://127.0.0.1:5000/")
            + "&state=xyz&code_challenge=\(challenge)&code_challenge_method=S256&scope=" + percentEncoded("https://www.googleapis.com/auth/calendar")
        let response = try await sharedClient.send(HTTPRequest(url: url, timeout: .seconds(5)))
        #expect(response.status == 302)
        let location = try #require(response.header("location"))
        #expect(location.hasPrefix("http://127.0.0.1:5000/?code="))
        #expect(location.contains("state=xyz"))
        let code = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "code" }?.value)
        let token = try await fake.form("token", [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", "http://127.0.0.1:5000/"),
            ("code_verifier", "verifier-verifier-verifier-verifier-verifier"),
        ])
        #expect(token.status == 200)
    }

    @Test func openIDScopeGetsAnIdTokenNamingTheAccount() async throws {
        let fake = try Fake()
        fake.server.registerAuthorizationCode("code-oidc", scope: "openid email")
        let token = try await fake.form("token", [("grant_type", "authorization_code"), ("code", "code-oidc")])
        let idToken = try #require(token["id_token"] as? String)
        // Three base64url parts, unpadded, as a JWT is written.
        let parts = idToken.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        #expect(idToken.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) })
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        let claims = try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: payload))) as? [String: Any]
        #expect(claims?["email"] as? String == fake.server.primaryCalendarId)
        #expect(claims?["iss"] as? String == "https://accounts.google.com")
    }

    @Test func jwtBearerGrant() async throws {
        let fake = try Fake()
        let ok = try await fake.form("token", [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", "aaa.bbb.ccc")])
        #expect(ok.status == 200)
        #expect((ok["access_token"] as? String)?.hasPrefix("fake-access-") == true)
        #expect(ok["refresh_token"] == nil)
        let bad = try await fake.form("token", [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", "aaa.bbb")])
        #expect(bad.status == 400)
        #expect(fake.server.receivedAssertions == ["aaa.bbb.ccc", "aaa.bbb"])
    }
}
