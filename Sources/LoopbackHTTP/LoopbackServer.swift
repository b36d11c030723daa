#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemSupport

/// A small HTTP/1.1 server on 127.0.0.1, for the OAuth redirect listener and for tests' fake
/// Google.
///
/// One thread accepts; each connection gets a thread of its own that reads a request, calls the
/// handler, writes the response and, with keep-alive, waits for the next request on the same
/// connection. The handler runs on that connection thread, so it may block.
/// Requests may carry Content-Length or chunked bodies; responses always carry Content-Length.
///
/// Limits: a request head of at most 64 KiB, a body of at most `Options.maxRequestBytes`, and
/// a whole request within `Options.readTimeout` of its first byte; an idle keep-alive
/// connection is closed after `Options.idleTimeout`.
public final class LoopbackServer: Sendable {
    public typealias Handler = @Sendable (LoopbackRequest) -> LoopbackResponse

    public struct Options: Sendable {
        public var maxRequestBytes: Int
        public var readTimeout: Duration
        public var idleTimeout: Duration
        public var maxConnections: Int

        public init(
            maxRequestBytes: Int = 64 << 20, readTimeout: Duration = .seconds(10),
            idleTimeout: Duration = .seconds(60), maxConnections: Int = 256
        ) {
            self.maxRequestBytes = maxRequestBytes
            self.readTimeout = readTimeout
            self.idleTimeout = idleTimeout
            self.maxConnections = maxConnections
        }
    }

    /// The port listened on (the kernel's pick when 0 was asked for).
    public let port: UInt16
    private let core: ServerCore

    /// Starts listening on 127.0.0.1:`port` (0: any free port) and serving at once.
    public init(port: UInt16 = 0, options: Options = Options(), handler: @escaping Handler) throws {
        let (listener, bound) = try Socket.listen(port: port)
        self.port = bound
        core = try ServerCore(options: options, handler: handler)
        try core.start(listener)
    }

    deinit { core.stop() }

    /// "http://127.0.0.1:PORT", without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Connections accepted since the start.
    public var connectionsAccepted: Int { core.monitor.withLock { core.accepted } }
    /// Requests read completely and given to the handler since the start.
    public var requestsHandled: Int { core.monitor.withLock { core.handled } }
    /// Connections open now.
    public var openConnections: Int { core.monitor.withLock { core.live.count } }

    /// Closes the listening socket and every connection, and returns when their threads have
    /// ended (at most a few seconds). A response being written is finished first, so the
    /// handler itself may call stop() after its last request; that connection then closes
    /// after the response. Idempotent.
    public func stop() { core.stop() }
}

/// The server's state, shared by its threads (the server object itself is not retained by
/// them, so dropping it stops everything).
final class ServerCore: @unchecked Sendable {
    let options: LoopbackServer.Options
    let handler: LoopbackServer.Handler
    let stopSignal: StopSignal
    let monitor = Monitor()
    // Guarded by monitor.
    var stopped = false
    var acceptRunning = false
    var accepted = 0
    var handled = 0
    /// Connection number -> its thread, nil until the thread has started.
    var live: [Int: pthread_t?] = [:]

    static let maxHeadBytes = 64 << 10

    init(options: LoopbackServer.Options, handler: @escaping LoopbackServer.Handler) throws {
        self.options = options
        self.handler = handler
        stopSignal = try StopSignal()
    }

    func start(_ listener: Socket) throws {
        monitor.withLock { acceptRunning = true }
        // The accept thread owns the listening socket: it closes when the thread ends.
        guard startThread({ [self] in acceptLoop(listener) }) else {
            monitor.withLock { acceptRunning = false }
            throw LoopbackError("pthread_create", errno: EAGAIN)
        }
    }

    func stop() {
        let first = monitor.withLock {
            defer { stopped = true }
            return !stopped
        }
        if first { stopSignal.signal() }
        _ = monitor.wait(until: { !acceptRunning }, timeout: .seconds(5))
        let me = pthread_self()
        _ = monitor.wait(until: {
            live.values.allSatisfy { thread in thread.map { pthread_equal($0, me) != 0 } ?? false }
        }, timeout: .seconds(3))
    }

    private func acceptLoop(_ listener: Socket) {
        defer {
            listener.closeNow()  // before stop() can return
            monitor.update { acceptRunning = false }
        }
        while true {
            switch waitReadable(listener.fd, stop: stopSignal, timeoutMilliseconds: -1) {
            case .stopped: return
            case .timedOut: continue
            case .ready: break
            }
            guard let connection = listener.accept() else {
                usleep(10_000)  // out of descriptors, say: do not spin
                continue
            }
            let number: Int? = monitor.withLock {
                accepted += 1
                guard !stopped, live.count < options.maxConnections else { return nil }
                live[accepted] = .some(nil)
                return accepted
            }
            guard let number else { continue }  // the connection closes here
            let started = startThread { [self] in
                monitor.update { live[number] = .some(pthread_self()) }
                serve(connection, number: number)
                connection.closeNow()
                monitor.update { live[number] = nil }
            }
            if !started { monitor.update { live[number] = nil } }
        }
    }

    /// Serves one connection until it closes, misbehaves, idles out or the server stops.
    private func serve(_ socket: Socket, number: Int) {
        socket.setSendTimeout(milliseconds: options.readTimeout.milliseconds)
        let reader = RequestReader(socket: socket, stop: stopSignal, options: options)
        while true {
            let request: LoopbackRequest
            do {
                request = try reader.read(connectionNumber: number)
            } catch {
                if let status = error.status {
                    _ = socket.sendAll(encode(.text(reasonPhrase(status) + "\n", status: status), head: false, keepAlive: false))
                }
                return
            }
            monitor.withLock { handled += 1 }
            let response = handler(request)
            if response.delay > .zero,
               waitReadable(nil, stop: stopSignal, timeoutMilliseconds: response.delay.milliseconds) == .stopped {
                return
            }
            if response.dropsConnection { return }
            let keepAlive = request.wantsKeepAlive && !response.closeAfterResponse && !monitor.withLock { stopped }
            guard socket.sendAll(encode(response, head: request.method == "HEAD", keepAlive: keepAlive)), keepAlive else {
                return
            }
        }
    }

    private func encode(_ response: LoopbackResponse, head: Bool, keepAlive: Bool) -> [UInt8] {
        let status = response.status
        let bodiless = (100..<200).contains(status) || status == 204 || status == 304
        var text = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
        for (name, value) in response.headers {
            let lower = name.lowercased()
            if lower == "content-length" || lower == "connection" || lower == "transfer-encoding" { continue }
            // Header injection through a handler's value would only hurt the test that did it,
            // but keep the framing intact anyway.
            let clean = value.filter { $0 != "\r" && $0 != "\n" }
            text += "\(name): \(clean)\r\n"
        }
        if !bodiless { text += "Content-Length: \(response.body.count)\r\n" }
        text += keepAlive ? "Connection: keep-alive\r\n" : "Connection: close\r\n"
        text += "\r\n"
        var bytes = Array(text.utf8)
        if !head && !bodiless { bytes += response.body }
        return bytes
    }
}

extension LoopbackRequest {
    var wantsKeepAlive: Bool {
        let connection = headers["connection"]?.lowercased() ?? ""
        let tokens = connection.split(separator: ",").map { $0.trimmingCharacters() }
        if version == "HTTP/1.0" { return tokens.contains("keep-alive") }
        return !tokens.contains("close")
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// Reads requests off one connection, with the server's size and time limits.
final class RequestReader {
    struct Failure: Error {
        /// The status to answer with before closing, or nil to just close.
        let status: Int?
        static let closed = Failure(status: nil)
        static let malformed = Failure(status: 400)
        static let tooLarge = Failure(status: 413)
        static let headTooLarge = Failure(status: 431)
        static let notImplemented = Failure(status: 501)
    }

    private let socket: Socket
    private let stop: StopSignal
    private let options: LoopbackServer.Options
    private var buffer: [UInt8] = []
    private var start = 0  // bytes of buffer already consumed
    private var deadline = 0
    private let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 1)

    init(socket: Socket, stop: StopSignal, options: LoopbackServer.Options) {
        self.socket = socket
        self.stop = stop
        self.options = options
    }

    deinit { scratch.deallocate() }

    func read(connectionNumber: Int) throws(Failure) -> LoopbackRequest {
        compact()
        // Between requests the connection may idle; once a request starts it must arrive whole
        // within readTimeout.
        if start == buffer.count {
            deadline = monotonicMilliseconds() + options.idleTimeout.milliseconds
            try fill()
        }
        deadline = monotonicMilliseconds() + options.readTimeout.milliseconds

        let headBytes = try readHead()
        let head = String(decoding: headBytes, as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        while lines.first?.isEmpty == true { lines.removeFirst() }  // stray CRLFs between requests
        guard let requestLine = lines.popFirst() else { throw .malformed }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else { throw .malformed }

        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .malformed }
            let name = line[..<colon].lowercased()
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "\t" }) else { throw .malformed }
            let value = line[line.index(after: colon)...].trimmingCharacters()
            if let existing = headers[name] { headers[name] = existing + ", " + value } else { headers[name] = value }
        }

        var body: [UInt8] = []
        let expectsContinue = headers["expect"]?.lowercased() == "100-continue"
        if let encoding = headers["transfer-encoding"] {
            guard encoding.lowercased().split(separator: ",").last?.trimmingCharacters() == "chunked" else {
                throw .notImplemented
            }
            if expectsContinue { try sendContinue() }
            body = try readChunked()
        } else if let lengthText = headers["content-length"] {
            let values = Set(lengthText.split(separator: ",").map { $0.trimmingCharacters() })
            guard values.count == 1, let length = Int(values.first!), length >= 0 else { throw .malformed }
            guard length <= options.maxRequestBytes else { throw .tooLarge }
            if expectsContinue && length > 0 { try sendContinue() }
            body = try readExactly(length)
        }
        return LoopbackRequest(
            method: String(parts[0]), path: String(parts[1]), headers: headers, body: body,
            version: String(parts[2]), connectionNumber: connectionNumber)
    }

    private func sendContinue() throws(Failure) {
        guard socket.sendAll(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { throw .closed }
    }

    /// Reads more bytes into the buffer, or fails at end of stream, stop or deadline.
    private func fill() throws(Failure) {
        let remaining = deadline - monotonicMilliseconds()
        guard remaining > 0,
              waitReadable(socket.fd, stop: stop, timeoutMilliseconds: remaining) == .ready,
              socket.receive(into: &buffer, scratch: scratch) > 0 else { throw .closed }
    }

    private func compact() {
        if start > 0 && (start == buffer.count || start > 1 << 20) {
            buffer.removeFirst(start)
            start = 0
        }
    }

    /// The request line and headers, without the blank line that ends them.
    private func readHead() throws(Failure) -> ArraySlice<UInt8> {
        var scanned = start
        while true {
            if let end = find([13, 10, 13, 10], from: scanned) {
                let head = buffer[start..<end]
                start = end + 4
                return head
            }
            if buffer.count - start > ServerCore.maxHeadBytes { throw .headTooLarge }
            scanned = max(start, buffer.count - 3)
            try fill()
        }
    }

    private func readLine(limit: Int = 8192) throws(Failure) -> ArraySlice<UInt8> {
        var scanned = start
        while true {
            if let end = find([13, 10], from: scanned) {
                let line = buffer[start..<end]
                start = end + 2
                return line
            }
            if buffer.count - start > limit { throw .malformed }
            scanned = max(start, buffer.count - 1)
            try fill()
        }
    }

    private func readExactly(_ count: Int) throws(Failure) -> [UInt8] {
        while buffer.count - start < count { try fill() }
        let bytes = Array(buffer[start..<start + count])
        start += count
        return bytes
    }

    private func readChunked() throws(Failure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let line = try readLine()
            let sizeDigits = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            guard !sizeDigits.isEmpty, sizeDigits.count <= 15 else { throw .malformed }
            var size = 0
            for digit in sizeDigits {
                guard let value = hexValue(digit) else { throw .malformed }
                size = size << 4 | Int(value)
            }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailers, ignored
                return body
            }
            guard body.count + size <= options.maxRequestBytes else { throw .tooLarge }
            body += try readExactly(size)
            guard try readLine().isEmpty else { throw .malformed }
        }
    }

    private func find(_ pattern: [UInt8], from: Int) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        var i = from
        let last = buffer.count - pattern.count
        while i <= last {
            if buffer[i] == pattern[0] {
                var match = true
                for k in 1..<pattern.count where buffer[i + k] != pattern[k] {
                    match = false
                    break
                }
                if match { return i }
            }
            i += 1
        }
        return nil
    }
}
