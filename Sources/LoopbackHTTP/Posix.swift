#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The only file of LoopbackHTTP that calls the C library: sockets, poll, threads, locks.
// Failures become LoopbackError here.

public struct LoopbackError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ call: String, errno code: Int32 = errno) {
        description = "\(call): \(String(cString: strerror(code)))"
    }
}

/// A mutex and a condition variable, in allocated memory so their addresses never move.
final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    @discardableResult
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Changes state under the lock and wakes every waiter.
    func update(_ body: () -> Void) {
        withLock(body)
        pthread_cond_broadcast(condition)
    }

    /// Waits until `condition` holds or `timeout` passes; returns whether it holds.
    func wait(until predicate: () -> Bool, timeout: Duration) -> Bool {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let (seconds, attoseconds) = timeout.components
        deadline.tv_sec += Int(seconds)
        deadline.tv_nsec += Int(attoseconds / 1_000_000_000)
        if deadline.tv_nsec >= 1_000_000_000 {
            deadline.tv_sec += 1
            deadline.tv_nsec -= 1_000_000_000
        }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !predicate() {
            if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { return predicate() }
        }
        return true
    }
}

/// Milliseconds on a monotonic clock.
func monotonicMilliseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
}

extension Duration {
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds.multipliedReportingOverflow(by: 1000)
        return ms.overflow ? Int.max : Int(ms.partialValue) + Int(attoseconds / 1_000_000_000_000_000)
    }
}

/// A pipe that is written once, on stop, and never read: from then on its read end polls
/// readable, which wakes every thread of the server that waits in poll.
final class StopSignal: @unchecked Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() throws(LoopbackError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw LoopbackError("pipe") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }
}

enum PollResult { case ready, stopped, timedOut }

/// Waits until `fd` is readable, the stop signal fires or `timeoutMilliseconds` pass (-1: no limit).
func waitReadable(_ fd: Int32?, stop: StopSignal, timeoutMilliseconds: Int) -> PollResult {
    let deadline = timeoutMilliseconds < 0 ? Int.max : monotonicMilliseconds() + timeoutMilliseconds
    var fds = [pollfd(fd: stop.readEnd, events: Int16(POLLIN), revents: 0)]
    if let fd { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
    while true {
        let remaining = deadline == Int.max ? -1 : max(0, deadline - monotonicMilliseconds())
        let n = poll(&fds, nfds_t(fds.count), Int32(clamping: remaining))
        if n < 0 {
            if errno == EINTR { continue }
            return .stopped
        }
        if fds[0].revents != 0 { return .stopped }
        if n > 0 { return .ready }
        if remaining == 0 { return .timedOut }
    }
}

/// Owns a socket file descriptor; closes it in deinit. Sendable to hand it to the thread that
/// serves it; the descriptor itself never changes.
final class Socket: @unchecked Sendable {
    let fd: Int32
    private var isOpen = true  // touched only by the thread that owns the socket

    init(fd: Int32) { self.fd = fd }

    deinit { closeNow() }

    /// Closes at once rather than when the last reference goes. Nothing may use the socket after.
    func closeNow() {
        if isOpen { close(fd) }
        isOpen = false
    }

    /// A listening TCP socket on 127.0.0.1:`port` (0: the kernel picks).
    static func listen(port: UInt16, backlog: Int32 = 128) throws(LoopbackError) -> (Socket, UInt16) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw LoopbackError("socket") }
        let socket = Socket(fd: fd)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw LoopbackError("bind 127.0.0.1:\(port)") }
        #if canImport(Glibc)
        guard Glibc.listen(fd, backlog) == 0 else { throw LoopbackError("listen") }
        #else
        guard Darwin.listen(fd, backlog) == 0 else { throw LoopbackError("listen") }
        #endif
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw LoopbackError("getsockname") }
        return (socket, UInt16(bigEndian: address.sin_port))
    }

    /// The next connection, or nil when accept fails (the client may have gone already).
    func accept() -> Socket? {
        while true {
            #if canImport(Glibc)
            let client = Glibc.accept(fd, nil, nil)
            #else
            let client = Darwin.accept(fd, nil, nil)
            #endif
            if client >= 0 {
                _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                var one: Int32 = 1
                setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                #if canImport(Darwin)
                setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
                #endif
                return Socket(fd: client)
            }
            if errno == EINTR { continue }
            return nil
        }
    }

    /// Bounds how long one send may block on a client that does not read.
    func setSendTimeout(milliseconds: Int) {
        var tv = timeval(tv_sec: milliseconds / 1000, tv_usec: .init((milliseconds % 1000) * 1000))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Appends what is available (at most `scratch.count` bytes) to `buffer`; 0 at end of
    /// stream, -1 on error.
    func receive(into buffer: inout [UInt8], scratch: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = recv(fd, scratch.baseAddress, scratch.count, 0)
            if n < 0 && errno == EINTR { continue }
            if n > 0 { buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<n]).assumingMemoryBound(to: UInt8.self)) }
            return n
        }
    }

    /// Sends all of `bytes`; false when the peer is gone or a send timed out.
    func sendAll(_ bytes: [UInt8]) -> Bool {
        #if canImport(Glibc)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0
        #endif
        var offset = 0
        return bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let n = send(fd, raw.baseAddress! + offset, raw.count - offset, flags)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Stops both directions, so a thread blocked on this socket returns.
    func shutdownBoth() {
        _ = shutdown(fd, Int32(SHUT_RDWR))
    }
}
