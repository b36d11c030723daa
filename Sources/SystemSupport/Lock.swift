#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex. It lives in allocated memory, so its address never moves (the address of a Swift
/// stored property is not guaranteed stable, and pthread mutexes must not move).
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @discardableResult
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Starts a detached thread that calport owns (not one of Swift's cooperative pool): for work
/// that blocks in C (curl's multi loop, a server's accept loop). False when none could start.
public func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Start {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let start = Unmanaged.passRetained(Start(body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    #if canImport(Glibc)
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attributes, { argument in
        Unmanaged<Start>.fromOpaque(argument!).takeRetainedValue().body()
        return nil
    }, start)
    #else
    var thread: pthread_t?
    let rc = pthread_create(&thread, &attributes, { argument in
        Unmanaged<Start>.fromOpaque(argument).takeRetainedValue().body()
        return nil
    }, start)
    #endif
    if rc != 0 { Unmanaged<Start>.fromOpaque(start).release() }
    return rc == 0
}
