import CCurl

// The easy-handle side of the transport. With CurlMultiDriver.swift, the only files that hold
// libcurl pointers. Every libcurl result is translated to HTTPError here, at one point.

/// Owns one libcurl easy handle; frees it in deinit.
final class CurlEasy {
    let handle: UnsafeMutableRawPointer

    init() throws(HTTPError) {
        _ = curlGlobalInit
        guard curlGlobalInit == CURLE_OK else {
            throw .other("curl_global_init failed: \(String(cString: curl_easy_strerror(curlGlobalInit)))")
        }
        guard let handle = curl_easy_init() else { throw .other("curl_easy_init failed") }
        self.handle = handle
    }

    deinit { curl_easy_cleanup(handle) }

    func set(_ option: CURLoption, _ value: Int) throws(HTTPError) {
        try check(ccurl_easy_setopt_long(handle, option, value), option)
    }

    /// libcurl copies string options (all but POSTFIELDS), so a temporary C string is enough.
    func set(_ option: CURLoption, _ value: String) throws(HTTPError) {
        try check(ccurl_easy_setopt_string(handle, option, value), option)
    }

    func set(_ option: CURLoption, offset value: Int) throws(HTTPError) {
        try check(ccurl_easy_setopt_off_t(handle, option, curl_off_t(value)), option)
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) throws(HTTPError) {
        try check(ccurl_easy_setopt_pointer(handle, option, value), option)
    }

    func set(_ option: CURLoption, callback: ccurl_data_callback) throws(HTTPError) {
        try check(ccurl_easy_setopt_data_callback(handle, option, callback), option)
    }

    private func check(_ code: CURLcode, _ option: CURLoption) throws(HTTPError) {
        guard code == CURLE_OK else {
            throw .other("curl_easy_setopt(\(option.rawValue)) failed: \(String(cString: curl_easy_strerror(code)))")
        }
    }

    func info(_ item: CURLINFO) -> Int {
        var value = 0
        return ccurl_easy_getinfo_long(handle, item, &value) == CURLE_OK ? value : 0
    }
}

/// `curl_global_init` runs exactly once: a global's initializer runs once, atomically, on first use.
/// There is no matching cleanup; libcurl stays initialized for the life of the process.
let curlGlobalInit: CURLcode = ccurl_global_init_default()

/// Owns a curl_slist; frees it in deinit.
final class CurlHeaderList {
    private(set) var list: UnsafeMutablePointer<curl_slist>?

    func append(_ line: String) throws(HTTPError) {
        guard let appended = curl_slist_append(list, line) else { throw .other("out of memory building headers") }
        list = appended
    }

    deinit { curl_slist_free_all(list) }
}

/// Settings every transfer of a client shares.
struct TransferSettings: Sendable {
    var userAgent: String
    var connectTimeoutMilliseconds: Int
    var maxResponseBytes: Int
}

/// One request in flight: the easy handle, what libcurl needs to keep alive during the transfer
/// (header list, body, error buffer), and the response as it arrives.
///
/// Threads: built and configured by the caller; from `submit` on, touched only by the driver
/// thread (the hand-over goes through the driver's lock), which resumes `continuation` exactly once.
final class CurlTransfer: @unchecked Sendable {
    private var easy: CurlEasy?
    private let headerList = CurlHeaderList()
    private let requestBody: UnsafeMutableBufferPointer<UInt8>
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let maxResponseBytes: Int
    private var continuation: CheckedContinuation<HTTPResponse, any Error>?

    private var responseHeaders: [(String, String)] = []
    private var responseBody: [UInt8] = []
    private var responseTooLarge = false

    /// Guarded by the driver's lock.
    var cancelRequested = false

    init(_ request: HTTPRequest, settings: TransferSettings) throws(HTTPError) {
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        let body = request.body ?? []
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(body.count, 1))
        body.withUnsafeBufferPointer { source in
            if let from = source.baseAddress { copy.baseAddress!.initialize(from: from, count: source.count) }
        }
        requestBody = copy
        maxResponseBytes = settings.maxResponseBytes
        let easy = try CurlEasy()
        self.easy = easy
        try configure(easy, request, settings)
    }

    deinit {
        easy = nil  // the easy handle goes first: it points at the buffers below
        errorBuffer.deallocate()
        requestBody.deallocate()
    }

    var handle: UnsafeMutableRawPointer? { easy?.handle }

    private func configure(_ easy: CurlEasy, _ request: HTTPRequest, _ settings: TransferSettings) throws(HTTPError) {
        try validate(url: request.url)
        let method = request.method.uppercased()
        guard !method.isEmpty, method.utf8.allSatisfy({ (65...90).contains($0) }) else {
            throw .other("invalid method")
        }
        try easy.set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer))
        try easy.set(CURLOPT_URL, request.url)
        try easy.set(CURLOPT_PROTOCOLS_STR, "http,https")
        // Signals do not mix with threads; the threaded resolver times out without them.
        try easy.set(CURLOPT_NOSIGNAL, 1)
        // Redirects go back to the caller, which decides whether another host may see the request.
        try easy.set(CURLOPT_FOLLOWLOCATION, 0)
        try easy.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // Over TLS, wait for a connection that may multiplex (HTTP/2) rather than open one more.
        // Plain http:// never multiplexes here, and waiting would only hold requests back until
        // the first response told libcurl so.
        if request.url.prefix(8).lowercased() == "https://" { try easy.set(CURLOPT_PIPEWAIT, 1) }
        try easy.set(CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        try easy.set(CURLOPT_TCP_KEEPALIVE, 1)
        // curl decodes; Google compresses only when the User-Agent says "gzip" as well.
        try easy.set(CURLOPT_ACCEPT_ENCODING, "gzip")
        try easy.set(CURLOPT_USERAGENT, settings.userAgent)
        let total = max(1, request.timeout.milliseconds)
        try easy.set(CURLOPT_TIMEOUT_MS, total)
        try easy.set(CURLOPT_CONNECTTIMEOUT_MS, min(total, max(1, settings.connectTimeoutMilliseconds)))
        if settings.maxResponseBytes > 0 { try easy.set(CURLOPT_MAXFILESIZE_LARGE, offset: settings.maxResponseBytes) }
        // Proxies: nothing here sets CURLOPT_PROXY or CURLOPT_NOPROXY, so libcurl reads
        // http_proxy, https_proxy, all_proxy and no_proxy from the environment.
        // TLS: CURLOPT_SSL_VERIFYPEER and CURLOPT_SSL_VERIFYHOST keep their defaults (on).

        // PUT and PATCH without a body still send one, empty, so Content-Length: 0 goes out.
        let hasBody = request.body != nil || ["POST", "PUT", "PATCH"].contains(method)
        switch (method, hasBody) {
        case ("GET", false): try easy.set(CURLOPT_HTTPGET, 1)
        case ("HEAD", false): try easy.set(CURLOPT_NOBODY, 1)
        case ("POST", _): break  // CURLOPT_POSTFIELDS below makes it a POST
        default: try easy.set(CURLOPT_CUSTOMREQUEST, method)
        }
        if hasBody {
            try easy.set(CURLOPT_POSTFIELDSIZE_LARGE, offset: request.body?.count ?? 0)
            try easy.set(CURLOPT_POSTFIELDS, pointer: UnsafeMutableRawPointer(requestBody.baseAddress))
        }

        var names = Set<String>()
        for (name, value) in request.headers {
            // Neither name nor value goes into the message: a value may be a credential.
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else { throw .other("invalid request header name") }
            guard !value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) else {
                throw .other("invalid value for a request header")
            }
            names.insert(name.lowercased())
            // "Name;" is libcurl's way to send a header without a value ("Name:" would remove it).
            try headerList.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // No "Expect: 100-continue" round trip before large bodies, and no form Content-Type
        // made up by libcurl for a body whose type the caller did not give.
        if !names.contains("expect") { try headerList.append("Expect:") }
        if hasBody, !names.contains("content-type") { try headerList.append("Content-Type:") }
        try easy.set(CURLOPT_HTTPHEADER, pointer: UnsafeMutableRawPointer(headerList.list))

        let me = Unmanaged.passUnretained(self).toOpaque()
        try easy.set(CURLOPT_WRITEFUNCTION, callback: curlWriteBody)
        try easy.set(CURLOPT_WRITEDATA, pointer: me)
        try easy.set(CURLOPT_HEADERFUNCTION, callback: curlWriteHeader)
        try easy.set(CURLOPT_HEADERDATA, pointer: me)
    }

    private func validate(url: String) throws(HTTPError) {
        let lower = url.prefix(8).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw .invalidURL("not an http or https URL: \(redactURL(url))")
        }
        guard let parsed = curl_url() else { throw .other("out of memory") }
        defer { curl_url_cleanup(parsed) }
        let code = curl_url_set(parsed, CURLUPART_URL, url, 0)
        guard code == CURLUE_OK else {
            throw .invalidURL("\(String(cString: curl_url_strerror(code))): \(redactURL(url))")
        }
    }

    /// Called once, before the driver sees the transfer.
    func setContinuation(_ continuation: CheckedContinuation<HTTPResponse, any Error>) {
        self.continuation = continuation
    }

    // MARK: Driver thread

    fileprivate func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if maxResponseBytes > 0 && responseBody.count + bytes.count > maxResponseBytes {
            responseTooLarge = true
            return false
        }
        // As typed bytes, so the append is one copy even in unoptimized builds.
        responseBody.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        return true
    }

    fileprivate func receiveHeader(_ bytes: UnsafeRawBufferPointer) {
        // "\r\n" is one Character in Swift: strip the line end as bytes.
        var bytes = bytes[...]
        while let last = bytes.last, last == 13 || last == 10 { bytes.removeLast() }
        let line = Substring(String(decoding: bytes, as: UTF8.self))
        if line.hasPrefix("HTTP/") {
            // A new status line: the headers of a 1xx or a proxy's CONNECT reply end here.
            responseHeaders.removeAll()
        } else if let first = line.first, first == " " || first == "\t", !responseHeaders.isEmpty {
            // An obsolete folded continuation line.
            responseHeaders[responseHeaders.count - 1].1 += " " + line.trimmingSpaces()
        } else if let colon = line.firstIndex(of: ":") {
            let name = line[..<colon].trimmingSpaces().lowercased()
            let value = line[line.index(after: colon)...].trimmingSpaces()
            if !name.isEmpty { responseHeaders.append((name, value)) }
        }
    }

    /// Finishes with libcurl's result: builds the response or the error, frees the easy handle
    /// (here, on the driver thread), and resumes the caller.
    func complete(_ code: CURLcode) {
        guard let easy else { return }
        let result: Result<HTTPResponse, any Error>
        if code == CURLE_OK {
            var headers: [String: String] = [:]
            for (name, value) in responseHeaders {
                if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
            }
            let version = switch easy.info(CURLINFO_HTTP_VERSION) {
            case Int(CURL_HTTP_VERSION_1_0): "HTTP/1.0"
            case Int(CURL_HTTP_VERSION_2_0): "HTTP/2"
            case Int(CURL_HTTP_VERSION_3): "HTTP/3"
            default: "HTTP/1.1"
            }
            result = .success(HTTPResponse(
                status: easy.info(CURLINFO_RESPONSE_CODE), headers: headers, body: responseBody, httpVersion: version))
        } else {
            result = .failure(translate(code))
        }
        responseBody = []
        self.easy = nil
        resume(result)
    }

    /// Driver thread: resumes the caller without libcurl's result (cancelled, or the client went
    /// away), once the handle is out of the multi handle.
    func fail(_ error: any Error) {
        easy = nil
        resume(.failure(error))
    }

    /// Caller's thread, for a transfer the driver never took: resumes the caller and leaves the
    /// easy handle alone (the driver may still look at it in its list of cancellations).
    func abandon(_ error: any Error) {
        resume(.failure(error))
    }

    private func resume(_ result: Result<HTTPResponse, any Error>) {
        guard let continuation else { return }
        self.continuation = nil
        continuation.resume(with: result)
    }

    /// The one place libcurl's result codes become HTTPError.
    private func translate(_ code: CURLcode) -> HTTPError {
        if responseTooLarge || code == CURLE_FILESIZE_EXCEEDED {
            return .responseTooLarge(limit: maxResponseBytes)
        }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT,
             CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
             CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_SSL_CONNECT_ERROR,
             CURLE_AGAIN, CURLE_HTTP3, CURLE_QUIC_CONNECT_ERROR, CURLE_PROXY:
            return .connection(message)
        case CURLE_TOO_MANY_REDIRECTS:
            return .tooManyRedirects
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL(message)
        default:
            return .other(message)
        }
    }
}

private func isTokenByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        true
    default:
        "!#$%&'*+-.^_`|~".utf8.contains(byte)
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        return ms.overflow ? Int.max : Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000)
    }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ me: UnsafeMutableRawPointer?) -> Int {
    guard let me else { return 0 }
    let length = size * count
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(me).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ me: UnsafeMutableRawPointer?) -> Int {
    guard let me else { return 0 }
    let length = size * count
    Unmanaged<CurlTransfer>.fromOpaque(me).takeUnretainedValue().receiveHeader(UnsafeRawBufferPointer(start: data, count: length))
    return length
}
