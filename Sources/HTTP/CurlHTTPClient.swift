/// The HTTP client calport uses against Google: libcurl's multi interface driven by one thread
/// of its own (see `CurlMultiDriver`).
///
/// - Connections (and DNS lookups) are cached in the multi handle and reused by later requests;
///   HTTP/2 is negotiated over TLS when the server offers it, and concurrent requests to the
///   same host then share one connection.
/// - Responses are requested gzip-compressed and decoded by libcurl.
/// - TLS certificates and host names are always verified; there is no way to turn that off.
/// - The proxy environment variables (`https_proxy`, `http_proxy`, `all_proxy`, `no_proxy`)
///   are honoured, as libcurl does by default.
/// - Redirects are not followed: a 3xx comes back as the response.
/// - Cancelling the calling task aborts the transfer and throws `CancellationError`.
///
/// Create one client and share it; each client owns a thread and a connection cache.
public final class CurlHTTPClient: HTTPClient {
    public struct Configuration: Sendable {
        /// Must contain "gzip": Google compresses responses only for such agents. One that does
        /// not gets " (gzip)" appended.
        public var userAgent: String
        public var connectTimeout: Duration
        /// A larger response fails with `HTTPError.responseTooLarge`.
        public var maxResponseBytes: Int
        /// Idle connections kept open for reuse.
        public var maxCachedConnections: Int
        /// 0: no limit. Requests beyond the limit wait for a connection.
        public var maxConnectionsPerHost: Int

        public init(
            userAgent: String = "calport/0.1.0 (gzip)",
            connectTimeout: Duration = .seconds(10),
            maxResponseBytes: Int = 256 << 20,
            maxCachedConnections: Int = 32,
            maxConnectionsPerHost: Int = 0
        ) {
            self.userAgent = userAgent
            self.connectTimeout = connectTimeout
            self.maxResponseBytes = maxResponseBytes
            self.maxCachedConnections = maxCachedConnections
            self.maxConnectionsPerHost = maxConnectionsPerHost
        }
    }

    public let configuration: Configuration
    private let settings: TransferSettings
    private let driver: CurlMultiDriver

    public init(configuration: Configuration = Configuration()) throws {
        self.configuration = configuration
        var agent = configuration.userAgent.filter { $0 != "\r" && $0 != "\n" }
        if !agent.lowercased().contains("gzip") { agent += " (gzip)" }
        settings = TransferSettings(
            userAgent: agent,
            connectTimeoutMilliseconds: configuration.connectTimeout.milliseconds,
            maxResponseBytes: configuration.maxResponseBytes)
        driver = try CurlMultiDriver(
            maxCachedConnections: configuration.maxCachedConnections,
            maxConnectionsPerHost: configuration.maxConnectionsPerHost)
    }

    deinit {
        // A send in progress keeps the client alive, so nothing is in flight here.
        driver.stop()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        try Task.checkCancellation()
        let transfer = try CurlTransfer(request, settings: settings)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.setContinuation(continuation)
                driver.submit(transfer)
            }
        } onCancel: {
            driver.cancel(transfer)
        }
    }
}
