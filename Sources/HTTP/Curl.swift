import CCurl

/// The libcurl build calport is linked against. The transport itself is `CurlHTTPClient`;
/// this module is the only code that touches libcurl.
public enum Curl {
    public static var version: String {
        guard let v = ccurl_version_info()?.pointee.version else { return "unknown" }
        return String(cString: v)
    }
}
