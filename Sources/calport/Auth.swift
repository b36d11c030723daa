import ArgumentParser
import CalPort
import Foundation
import GoogleAuth

struct Auth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign in to Google, show or end a sign-in, print an access token.",
        discussion: """
            Each sign-in is a profile: a token file under $CALPORT_CONFIG_DIR, else \
            $XDG_CONFIG_HOME/calport, else ~/.config/calport (mode 0600). Every command that \
            talks to Google takes --profile, so several accounts live side by side.
            See README.md, "Set up Google credentials", for the client-secret file.
            """ + "\n\n" + EnvironmentVariable.helpText(for: "auth"),
        subcommands: [Login.self, Status.self, Logout.self, Token.self]
    )
}

extension Auth {
    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign in with an OAuth client, or set up a service account.",
            discussion: """
                With a Desktop client (recommended) calport listens on 127.0.0.1 for Google's \
                redirect and opens a browser; with --no-browser it prints the address to open on \
                any machine and reads the redirected address pasted back. A Web client needs \
                --redirect-uri, exactly as registered in the Cloud console.

                Examples:
                  calport auth login --client-secret ~/Downloads/client_secret_1234.json
                  calport auth login --profile work --client-secret client.json --no-browser
                  calport auth login --profile archive --client-secret client.json --read-only
                  calport auth login --profile admin --service-account key.json --subject ana@example.com
                """
        )

        @Option(help: "The profile to sign in.")
        var profile: String = GoogleSession.defaultProfile

        @Option(name: .customLong("client-secret"), help: "The OAuth client JSON downloaded from the Google Cloud console.")
        var clientSecret: String?

        @Option(name: .customLong("service-account"), help: "A service-account key JSON, instead of a user sign-in.")
        var serviceAccount: String?

        @Option(help: "With --service-account: the user to act as (domain-wide delegation).")
        var subject: String?

        @Option(name: .customLong("redirect-uri"), help: "For Web clients: a redirect URI registered for the client, exactly.")
        var redirectURI: String?

        @Option(help: "For Desktop clients: the loopback port to listen on (default: any free port).")
        var port: UInt16 = 0

        @Option(name: .customLong("login-hint"), help: "An account to preselect in Google's account chooser.")
        var loginHint: String?

        @Flag(name: .customLong("no-browser"), help: "Print the sign-in address instead of opening a browser, and read the redirected address back.")
        var noBrowser = false

        @Flag(name: .customLong("read-only"), help: "Ask for read-only calendar access (enough for pull, archive, verify).")
        var readOnly = false

        @Option(help: "Seconds to wait for the sign-in to finish.")
        var timeout: Int = 300

        @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
        var verbose = false

        func validate() throws {
            switch (clientSecret, serviceAccount) {
            case (nil, nil): throw ValidationError("give --client-secret FILE (a user sign-in) or --service-account KEY")
            case (.some, .some): throw ValidationError("give either --client-secret or --service-account, not both")
            default: break
            }
            if subject != nil && serviceAccount == nil { throw ValidationError("--subject goes with --service-account") }
            if serviceAccount != nil && (redirectURI != nil || noBrowser || loginHint != nil || port != 0) {
                throw ValidationError("--redirect-uri, --port, --login-hint and --no-browser are for --client-secret sign-ins")
            }
            if timeout < 1 { throw ValidationError("--timeout must be at least 1 second") }
        }

        func run() async throws {
            do {
                let auth = try GoogleSession.authService(verbose: verbose)
                let status: AuthStatus
                if let keyFile = serviceAccount {
                    let key = try ServiceAccountKey.load(path: keyFile)
                    status = try await auth.loginServiceAccount(
                        profile: profile, keyFile: keyFile, subject: subject, readOnly: readOnly,
                        revokeURI: GoogleSession.revocationEndpoint(forTokenURI: key.tokenURI))
                } else if let clientSecret {
                    let client = try ClientSecret.load(path: clientSecret)
                    let options = LoginOptions(
                        scopes: Scope.forUser(readOnly: readOnly), openBrowser: !noBrowser, redirectURI: redirectURI,
                        port: port, loginHint: loginHint, timeout: .seconds(timeout),
                        revokeURI: GoogleSession.revocationEndpoint(forTokenURI: client.tokenURI))
                    status = try await auth.login(profile: profile, client: client, options: options)
                } else {
                    throw ValidationError("give --client-secret FILE or --service-account KEY")
                }
                StandardError.write("calport: signed in as \(status.account ?? "an unknown account") (profile \(status.profile), \(status.readOnly ? "read-only" : "read and write"))\n")
            } catch let e as ValidationError {
                throw e
            } catch {
                throw Exit.report(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a profile's account, scopes and client, and ask Google whether its sign-in still works.",
            discussion: """
                calport asks Google for a new access token (and saves it): a stored token that \
                looks valid proves nothing once the grant was revoked at \
                https://myaccount.google.com/permissions, by an administrator, or after 7 days of \
                an app in Testing status. --offline shows only what the token file holds.

                Exit codes: 0 signed in and the grant works; 77 not signed in, or the grant was \
                revoked or refused (sign in again); 69 Google could not be reached to check.
                """
        )

        @Option(help: "The profile to show.")
        var profile: String = GoogleSession.defaultProfile

        @Flag(help: "Show every profile.")
        var all = false

        @Flag(help: "Print JSON.")
        var json = false

        @Flag(help: "Do not ask Google; show the token file only.")
        var offline = false

        @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
        var verbose = false

        func run() async throws {
            do {
                let auth = try GoogleSession.authService(verbose: verbose)
                let statuses = all ? try auth.statuses() : [try auth.status(profile: profile)]
                if all && statuses.isEmpty {
                    StandardError.write("calport: no profile is signed in; run `calport auth login --client-secret FILE`\n")
                    throw Exit.authentication
                }
                var checks: [GrantCheck?] = []
                for s in statuses { checks.append(offline ? nil : await auth.checkGrant(profile: s.profile)) }
                // A check renews the access token: show the file as it is now.
                let shown = offline ? statuses : try statuses.map { try auth.status(profile: $0.profile) }
                let now = Date()
                if json {
                    let objects = zip(shown, checks).map { Self.object($0, check: $1, now: now) }
                    let value: Any = all ? objects : objects[0]
                    let data = try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                    try printOut(String(decoding: data, as: UTF8.self) + "\n")
                } else {
                    let text = zip(shown, checks).map { status, check in
                        status.summary(now: now) + (check.map { "\n" + Self.line($0) } ?? "")
                    }.joined(separator: "\n\n")
                    try printOut(text + "\n")
                }
                for case let error? in checks.map({ $0?.error }) { StandardError.write("calport: \(Failure(error))\n") }
                if checks.contains(where: { if case .revoked = $0 { true } else if case .failed = $0 { true } else { false } }) {
                    throw Exit.authentication
                }
                if checks.contains(where: { if case .unreachable = $0 { true } else { false } }) { throw Exit.unavailable }
                if offline, shown.contains(where: { !$0.canRenew && !$0.accessTokenValid(at: now) }) { throw Exit.authentication }
            } catch let e as ExitCode {
                throw e
            } catch {
                throw Exit.report(error)
            }
        }

        static func line(_ check: GrantCheck) -> String {
            switch check {
            case .works: "grant: works (Google issued a new access token just now)"
            case .revoked: "grant: revoked or expired at Google: sign in again"
            case .unreachable: "grant: not checked: Google could not be reached"
            case .failed: "grant: refused by Google"
            }
        }

        static func object(_ s: AuthStatus, check: GrantCheck?, now: Date) -> [String: Any] {
            let iso = ISO8601DateFormatter()
            var o: [String: Any] = [
                "profile": s.profile, "clientType": s.clientType.rawValue, "clientId": s.clientID, "scopes": s.scopes,
                "readOnly": s.readOnly, "refreshToken": s.hasRefreshToken, "canRenew": s.canRenew,
                "signedIn": iso.string(from: s.created), "file": s.path,
            ]
            if let a = s.account { o["account"] = a }
            if let e = s.accessTokenExpiry { o["accessTokenExpiry"] = iso.string(from: e); o["accessTokenValid"] = e > now }
            if let subject = s.subject { o["subject"] = subject }
            if let key = s.serviceAccountKeyFile { o["keyFile"] = key }
            if let check {
                o["grant"] = check.word
                if let e = check.error { o["grantProblem"] = Failure(e).message }
            }
            return o
        }
    }

    struct Logout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a profile's tokens at Google, then delete them.",
            discussion: """
                When Google cannot be reached the tokens are kept and the command fails, so that \
                nothing stays authorised unknowingly; --force deletes them anyway (then remove \
                calport's access at https://myaccount.google.com/permissions).
                """
        )

        @Option(help: "The profile to sign out.")
        var profile: String = GoogleSession.defaultProfile

        @Flag(help: "Delete the tokens even if revoking them fails.")
        var force = false

        @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
        var verbose = false

        func run() async throws {
            do {
                let result = try await GoogleSession.authService(verbose: verbose).logout(profile: profile, force: force)
                StandardError.write("calport: \(result.summary)\n")
            } catch {
                throw Exit.report(error)
            }
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a fresh access token on standard output, for scripts.",
            discussion: """
                The token is always a new one from Google, so a revoked sign-in prints nothing \
                and exits 77. It is a secret: \
                keep it out of logs and command lines (e.g. curl -H @- or a header file).

                Example:
                  calport auth token | sed 's/^/Authorization: Bearer /' | curl -sH @- https://www.googleapis.com/calendar/v3/users/me/calendarList
                """
        )

        @Option(help: "The profile whose token to print.")
        var profile: String = GoogleSession.defaultProfile

        @Flag(name: .shortAndLong, help: "Log each request to Google on standard error (never a token or a body).")
        var verbose = false

        func run() async throws {
            do {
                let provider = try GoogleSession.authService(verbose: verbose).tokenProvider(profile: profile)
                // Always a new token: one the store holds may belong to a revoked grant.
                let token = try await provider.renewedAccessToken()
                try printOut(token + "\n")
            } catch {
                throw Exit.report(error)
            }
        }
    }
}
