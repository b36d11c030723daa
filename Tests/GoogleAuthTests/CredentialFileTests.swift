import Foundation
import Testing
@testable import GoogleAuth

struct ClientSecretTests {
    @Test func desktopAndWebClients() throws {
        let installed = try ClientSecret.parse(Array("""
            {"installed":{"client_id":"1-a.apps.googleusercontent.com","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth",
            "token_uri":"https://oauth2.googleapis.com/token","client_secret":"\(Secrets.clientSecret)","redirect_uris":["http://localhost"]}}
            """.utf8), path: "c.json")
        #expect(installed.type == .installed)
        #expect(installed.clientID == "1-a.apps.googleusercontent.com")
        #expect(installed.clientSecret == Secrets.clientSecret)
        #expect(installed.redirectURIs == ["http://localhost"])
        #expect(installed.projectID == "p")

        let web = try ClientSecret.parse(Array("""
            {"web":{"client_id":"2-b.apps.googleusercontent.com","client_secret":"s3cret-web","redirect_uris":["https://x.example/cb"]}}
            """.utf8), path: "w.json")
        #expect(web.type == .web)
        #expect(web.authURI == GoogleEndpoints.authorization)
        #expect(web.tokenURI == GoogleEndpoints.token)
        #expect(web.redirectURIs == ["https://x.example/cb"])
    }

    @Test(arguments: [
        ("", "the file is empty"),
        ("   \n", "the file is empty"),
        ("not json at all", "not a JSON object"),
        (#"{"installed":{"client_id":"x""#, "invalid JSON"),
        ("[1,2]", "not a JSON object"),
        ("-----BEGIN PRIVATE KEY-----\nAAA\n-----END PRIVATE KEY-----", "PEM file"),
        (#"{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","private_key":"x"}"#, "service-account key"),
        (#"{"client_email":"a@b.iam.gserviceaccount.com","private_key":"x"}"#, "service-account key"),
        (#"{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}"#, "authorized-user"),
        (#"{"desktop":{"client_id":"x"}}"#, "expected a top-level \"installed\""),
        ("{}", "an empty object"),
        (#"{"installed":{"client_secret":"y"}}"#, "no client_id"),
        (#"{"installed":{"client_id":"x"}}"#, "no client_secret"),
        (#"{"web":{"client_id":"x","client_secret":"y","token_uri":"ftp://x"}}"#, "token_uri"),
        (#"{"web":{"client_id":"x","client_secret":"y","redirect_uris":"https://x"}}"#, "redirect_uris"),
    ])
    func malformedFilesAreExplained(text: String, phrase: String) {
        let error = #expect(throws: AuthError.self) {
            try ClientSecret.parse(Array(text.utf8), path: "/home/ada/Downloads/client_secret.json")
        }
        let description = error?.description ?? ""
        #expect(description.contains("/home/ada/Downloads/client_secret.json"), "\(description)")
        #expect(description.contains(phrase), "\(description)")
    }

    @Test func filesThatCannotBeRead() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let missing = #expect(throws: AuthError.self) { try ClientSecret.load(path: dir.path + "/nope.json") }
        #expect(missing == .unreadableFile(path: dir.path + "/nope.json", reason: "No such file or directory"))
        let directory = #expect(throws: AuthError.self) { try ClientSecret.load(path: dir.path) }
        #expect(directory?.description.contains("Is a directory") == true)
        let file = dir.write("sa.json", #"{"type":"service_account","client_email":"a@b.c","private_key":"x"}"#)
        let wrong = #expect(throws: AuthError.self) { try ClientSecret.load(path: file) }
        #expect(wrong == .serviceAccountKeyGivenAsClientSecret(path: file))
        #expect(wrong?.description.contains("--service-account") == true)
    }
}

struct TokenStoreTests {
    @Test func configDirectoryFollowsTheEnvironment() throws {
        #expect(try TokenStore.configDirectory(environment: ["CALPORT_CONFIG_DIR": "/etc/cp", "XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/etc/cp")
        #expect(try TokenStore.configDirectory(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/calport")
        #expect(try TokenStore.configDirectory(environment: ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]) == "/h/.config/calport")
        #expect(try TokenStore.configDirectory(environment: ["CALPORT_CONFIG_DIR": "", "HOME": "/h"]) == "/h/.config/calport")
        #expect(TokenStore(directory: "/a/b/").tokensDirectory == "/a/b/tokens")
    }

    @Test func profileNames() {
        for name in ["default", "work", "a_b-1", "X", String(repeating: "p", count: 64)] {
            #expect(throws: Never.self) { try TokenStore.validateProfileName(name) }
        }
        for name in ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "-x", "_x", "a b", "é", "a.json", String(repeating: "p", count: 65)] {
            #expect(throws: AuthError.invalidProfileName(name)) { try TokenStore.validateProfileName(name) }
        }
    }

    @Test func saveLoadListDelete() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = TokenStore(directory: dir.path + "/deep/config")
        let created = Date(timeIntervalSince1970: 1_780_000_000)
        var credentials = StoredCredentials(
            profile: "work", clientType: .web, clientID: Secrets.clientID, clientSecret: Secrets.clientSecret,
            tokenURI: GoogleEndpoints.token, authURI: GoogleEndpoints.authorization, scopes: [Scope.calendar, "openid"],
            refreshToken: Secrets.refreshToken, accessToken: Secrets.accessTokenPrefix + "1",
            expiry: created.addingTimeInterval(3599), account: Secrets.email, created: created)
        try store.save(credentials)
        #expect(try store.load("work") == credentials)
        #expect(mode(dir.path + "/deep/config/tokens") == 0o700)
        #expect(mode(dir.path + "/deep/config/tokens/work.json") == 0o600)

        let text = try String(contentsOfFile: dir.path + "/deep/config/tokens/work.json", encoding: .utf8)
        #expect(text.contains(#""expiry" : "2026-05-28T21:26:39Z""#))
        #expect(text.contains(#""revoke_uri" : "https://oauth2.googleapis.com/revoke""#))
        #expect(text.contains(#""client_type" : "web""#))

        credentials.accessToken = Secrets.accessTokenPrefix + "2"
        try store.save(credentials)  // replaces atomically, leaves no temporary file
        try store.save(StoredCredentials(profile: "alpha", clientType: .installed, clientID: "c", tokenURI: GoogleEndpoints.token, scopes: []))
        #expect(try directoryEntries(store.tokensDirectory).sorted() == ["alpha.json", "work.json"])
        #expect(try store.profiles() == ["alpha", "work"])
        #expect(try store.load("work").accessToken == Secrets.accessTokenPrefix + "2")

        // A file others can read is narrowed when loaded.
        chmod(dir.path + "/deep/config/tokens/alpha.json", 0o644)
        _ = try store.load("alpha")
        #expect(mode(dir.path + "/deep/config/tokens/alpha.json") == 0o600)

        #expect(try store.delete("alpha"))
        #expect(try !store.delete("alpha"))
        #expect(try store.profiles() == ["work"])
        #expect(try store.loadIfPresent("alpha") == nil)
        #expect(try TokenStore(directory: dir.path + "/never").profiles() == [])
    }

    @Test func damagedFilesAreReported() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = TokenStore(directory: dir.path)
        try makeDirectories(store.tokensDirectory, mode: 0o700)
        let path = dir.write("tokens/bad.json", "{\"profile\": \"bad\", \"refresh_token\": \"\(Secrets.refreshToken)\"")
        let broken = #expect(throws: AuthError.self) { try store.load("bad") }
        #expect(broken == .malformedTokenFile(path: path, problem: "not valid JSON"))
        _ = dir.write("tokens/bad.json", "{\"profile\": \"bad\", \"refresh_token\": \"\(Secrets.refreshToken)\"}")
        let incomplete = try #require(#expect(throws: AuthError.self) { try store.load("bad") })
        #expect(incomplete.description.contains("is missing"))
        expectNoSecrets(incomplete)
        _ = dir.write("tokens/other.json", "{\"profile\":\"bad\",\"client_type\":\"installed\",\"client_id\":\"c\",\"token_uri\":\"https://t\"}")
        let moved = #expect(throws: AuthError.self) { try store.load("other") }
        #expect(moved?.description.contains("belongs to profile") == true)
    }

    @Test func tokensOpenToOthersAreNarrowedWithAWarningThatSaysWhatToDo() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let messages = Messages()
        let store = TokenStore(directory: dir.path, warnings: { messages.add($0) })
        try store.save(StoredCredentials(profile: "p", clientType: .installed, clientID: "c", tokenURI: GoogleEndpoints.token, scopes: []))
        #expect(messages.all.isEmpty)
        let file = try store.path(for: "p")
        chmod(file, 0o640)
        chmod(store.tokensDirectory, 0o755)
        _ = try store.load("p")
        #expect(mode(file) == 0o600 && mode(store.tokensDirectory) == 0o700)
        #expect(messages.all.count == 2)
        #expect(messages.all.first?.hasPrefix("\(file) was open to other users (mode 0640); it is now 0600.") == true, "\(messages.all)")
        #expect(messages.all.last?.hasPrefix("\(store.tokensDirectory) was open to other users (mode 0755); it is now 0700.") == true,
                "\(messages.all)")
        #expect(messages.all.allSatisfy { $0.contains("could use your Google account") && $0.contains("`calport auth logout`") })
        _ = try store.load("p")
        #expect(messages.all.count == 2, "warned once")
    }

    // A token file is narrowed to 0600 when found open to others: through a symlink that would
    // change the mode of whatever file the link names.
    @Test func symlinkedTokenFileIsRefusedAndItsTargetKeepsItsMode() throws {
        let dir = TemporaryDirectory()
        defer { dir.cleanup() }
        let store = TokenStore(directory: dir.path + "/config")
        let elsewhere = TokenStore(directory: dir.path + "/elsewhere")
        try elsewhere.save(StoredCredentials(profile: "p", clientType: .installed, clientID: "c", tokenURI: GoogleEndpoints.token,
                                             scopes: [], refreshToken: Secrets.refreshToken))
        let target = try elsewhere.path(for: "p")
        chmod(target, 0o644)
        try makeDirectories(store.tokensDirectory, mode: 0o700)
        try FileManager.default.createSymbolicLink(atPath: try store.path(for: "p"), withDestinationPath: target)
        let refused = try #require(#expect(throws: AuthError.self) { try store.load("p") })
        #expect(refused.description.contains("\(try store.path(for: "p")) is a symbolic link"), "\(refused)")
        #expect(refused.description.contains("calport auth login"), "\(refused)")
        expectNoSecrets(refused)
        #expect(mode(target) == 0o644)
    }
}
