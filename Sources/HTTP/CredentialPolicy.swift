import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where calport may send a credential (a bearer token, a client secret, a refresh token, an
/// authorization code): over https to any host, or over plain http to a loopback address
/// only, where nothing crosses a network (as RFC 8252 §8.3 allows for redirects). The API root
/// and the OAuth endpoints are held to this one rule.
public enum CredentialPolicy {
    /// The rule in words, for messages.
    public static let rule = "https, or plain http to a loopback address (127.0.0.0/8, ::1, localhost)"

    /// Whether `url` may carry a credential.
    public static func allows(_ url: String) -> Bool {
        guard let (scheme, host) = schemeAndHost(url) else { return false }
        switch scheme {
        case "https": return true
        case "http": return isLoopback(host: host)
        default: return false
        }
    }

    /// Whether `host` (a name, an IPv4 address, or an IPv6 address in brackets) is loopback:
    /// `localhost`, 127.0.0.0/8 or ::1. No name is looked up.
    public static func isLoopback(host: String) -> Bool {
        let h = host.lowercased()
        if h == "localhost" { return true }
        if h.hasPrefix("["), h.hasSuffix("]") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(h.dropFirst().dropLast()), &address) == 1 else { return false }
            let loopback: [UInt8] = Array(repeating: 0, count: 15) + [1]
            return withUnsafeBytes(of: &address) { Array($0) } == loopback
        }
        var address = in_addr()
        guard inet_pton(AF_INET, h, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { $0[0] } == 127
    }

    /// The scheme and host as curl will use them: read by curl's own URL parser (which also
    /// writes "127.1" or "2130706433" as 127.0.0.1), so that a URL another parser reads
    /// differently ("http://127.0.0.1@example.com/", "http://example.com#@127.0.0.1/") cannot
    /// pass for loopback.
    static func schemeAndHost(_ url: String) -> (scheme: String, host: String)? {
        guard let handle = curl_url() else { return nil }
        defer { curl_url_cleanup(handle) }
        guard curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ which: CURLUPart) -> String? {
            var value: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, which, &value, 0) == CURLUE_OK, let value else { return nil }
            defer { curl_free(value) }
            return String(cString: value)
        }
        guard let scheme = part(CURLUPART_SCHEME), let host = part(CURLUPART_HOST) else { return nil }
        return (scheme.lowercased(), host)
    }
}
