import Testing
@testable import HTTP

/// The one rule for where a credential may go: https, or plain http to loopback.
@Suite struct CredentialPolicyTests {
    @Test(arguments: [
        "https://www.googleapis.com/", "https://oauth2.googleapis.com/token", "HTTPS://example.com/",
        "http://127.0.0.1:8080/", "http://127.0.0.1/token", "http://127.1.2.3/", "http://127.255.255.255:1/",
        "http://localhost/", "http://LOCALHOST:9/", "http://[::1]:8080/", "http://[0:0:0:0:0:0:0:1]/",
        // Other spellings of 127.0.0.1 that curl connects to as such.
        "http://127.1/", "http://2130706433/",
    ])
    func credentialsMayGo(_ url: String) {
        #expect(CredentialPolicy.allows(url))
    }

    @Test(arguments: [
        "http://www.googleapis.com/", "http://10.0.0.1/", "http://192.168.1.1:8080/", "http://[::2]/",
        "http://[::ffff:10.0.0.1]/", "http://0.0.0.0:1/", "http://128.0.0.1/",
        "http://127.0.0.1.example.com/", "http://localhost.example.com/", "http://mylocalhost/",
        // Parsers disagree on these; curl connects to example.com.
        "http://127.0.0.1@example.com/", "http://localhost:80@example.com/",
        "ftp://127.0.0.1/", "file:///etc/passwd", "127.0.0.1:80", "", "not a url",
    ])
    func credentialsMayNotGo(_ url: String) {
        #expect(!CredentialPolicy.allows(url))
    }
}
