import CCurl
import SystemSupport

/// Owns one libcurl multi handle; frees it in deinit. The multi handle keeps the connection
/// cache and the DNS cache, so every transfer added to it can reuse what the earlier ones opened.
final class CurlMulti {
    let handle: UnsafeMutableRawPointer

    init() throws(HTTPError) {
        _ = curlGlobalInit
        guard curlGlobalInit == CURLE_OK else { throw .other("curl_global_init failed") }
        guard let handle = curl_multi_init() else { throw .other("curl_multi_init failed") }
        self.handle = handle
    }

    deinit { curl_multi_cleanup(handle) }

    func set(_ option: CURLMoption, _ value: Int) throws(HTTPError) {
        let code = ccurl_multi_setopt_long(handle, option, value)
        guard code == CURLM_OK else {
            throw .other("curl_multi_setopt failed: \(String(cString: curl_multi_strerror(code)))")
        }
    }

    /// Thread-safe: interrupts curl_multi_poll on the driver thread.
    func wakeUp() { _ = curl_multi_wakeup(handle) }
}

/// Runs every transfer of one client on a single thread that calport owns: the thread loops
/// over curl_multi_perform and curl_multi_poll, so no Swift concurrency thread ever waits on
/// the network. Callers hand transfers over through `lock`; the driver thread resumes each
/// caller's continuation when libcurl reports the transfer done.
final class CurlMultiDriver: @unchecked Sendable {
    private let multi: CurlMulti
    private let lock = Lock()
    // Guarded by lock.
    private var incoming: [CurlTransfer] = []
    private var cancellations: [CurlTransfer] = []
    private var stopping = false
    // Driver thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]

    init(maxCachedConnections: Int, maxConnectionsPerHost: Int) throws(HTTPError) {
        multi = try CurlMulti()
        try multi.set(CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        try multi.set(CURLMOPT_MAXCONNECTS, max(1, maxCachedConnections))
        if maxConnectionsPerHost > 0 { try multi.set(CURLMOPT_MAX_HOST_CONNECTIONS, maxConnectionsPerHost) }
        guard startThread({ [self] in run() }) else {
            throw .other("could not start the HTTP thread")
        }
    }

    /// Hands a configured transfer to the driver thread. A transfer already cancelled is failed
    /// at once.
    func submit(_ transfer: CurlTransfer) {
        let accepted = lock.withLock {
            guard !transfer.cancelRequested, !stopping else { return false }
            incoming.append(transfer)
            return true
        }
        if accepted {
            multi.wakeUp()
        } else {
            transfer.abandon(CancellationError())
        }
    }

    /// Asks the driver thread to abort a transfer; harmless when it has already finished.
    func cancel(_ transfer: CurlTransfer) {
        lock.withLock {
            transfer.cancelRequested = true
            cancellations.append(transfer)
        }
        multi.wakeUp()
    }

    /// Ends the driver thread once it has failed whatever is still in flight.
    func stop() {
        lock.withLock { stopping = true }
        multi.wakeUp()
    }

    private func run() {
        while true {
            let (added, cancelled, stop) = lock.withLock {
                defer { incoming = []; cancellations = [] }
                return (incoming, cancellations, stopping)
            }
            for transfer in added {
                guard let easy = transfer.handle else { continue }
                let code = curl_multi_add_handle(multi.handle, easy)
                if code == CURLM_OK {
                    active[easy] = transfer
                } else {
                    transfer.fail(HTTPError.other("curl_multi_add_handle failed: \(String(cString: curl_multi_strerror(code)))"))
                }
            }
            for transfer in cancelled {
                guard let easy = transfer.handle, active.removeValue(forKey: easy) != nil else { continue }
                curl_multi_remove_handle(multi.handle, easy)
                transfer.fail(CancellationError())
            }
            if stop {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi.handle, easy)
                    transfer.fail(HTTPError.other("the HTTP client was shut down"))
                }
                active = [:]
                return
            }

            var running: Int32 = 0
            let performed = curl_multi_perform(multi.handle, &running)
            var easy: UnsafeMutableRawPointer?
            var result = CURLE_OK
            while ccurl_multi_next_done(multi.handle, &easy, &result) == 1 {
                guard let done = easy, let transfer = active.removeValue(forKey: done) else { continue }
                curl_multi_remove_handle(multi.handle, done)
                transfer.complete(result)
            }
            if performed != CURLM_OK {
                // The multi handle itself is broken (out of memory): fail what is left rather
                // than spin.
                let message = String(cString: curl_multi_strerror(performed))
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi.handle, easy)
                    transfer.fail(HTTPError.other(message))
                }
                active = [:]
            }
            // Sleeps until a socket is ready, libcurl's next timeout, or wakeUp().
            // With nothing in flight, wake up now and then anyway (cheap, and a safety net).
            _ = curl_multi_poll(multi.handle, nil, 0, active.isEmpty ? 5_000 : 1_000, nil)
        }
    }
}
