import CalendarModel
import Foundation
import GoogleCalendar

/// Time as the API client sees it: a monotonic clock, plus whatever a test's sleeper skipped.
///
/// A sleeper that returns at once (tests) still moves this clock by the time it was asked to
/// wait, so pauses end, and time budgets run out, without anyone waiting in real time.
final class PacingClock: @unchecked Sendable {
    private let lock = Lock()
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private var skipped: Duration = .zero
    private let sleeper: APISleeper

    init(sleeper: @escaping APISleeper) {
        self.sleeper = sleeper
        origin = clock.now
    }

    /// Time since the client was made.
    var now: Duration { (clock.now - origin) + lock.withLock { skipped } }

    func sleep(_ d: Duration) async throws {
        guard d > .zero else { return }
        let before = clock.now
        try await sleeper(d)
        let slept = clock.now - before
        if slept < d { lock.withLock { skipped += d - slept } }
    }
}

/// How the client paces itself to Google's per-user quota, as progress lines show it.
public struct PacingStatus: Sendable, Equatable, CustomStringConvertible {
    /// Calls Google took per second over the last minute (or since the first call, when sooner).
    public var callsPerSecond: Double
    /// Calls Google refused for rate so far.
    public var refusedCalls: Int
    /// The limit learned from Google's refusals: calls per window. Nil until Google refused
    /// calls for a while (a lone refusal teaches nothing).
    public var learnedCalls: Int?
    public var learnedWindow: Duration?
    /// Google refused for rate and sending is paused this much longer.
    public var pausedFor: Duration?

    /// Whether Google has limited the rate at all in this run.
    public var isRateLimited: Bool { refusedCalls > 0 }

    /// "rate-limited by Google: 9.8 calls/s", "rate-limited by Google: waiting 16 s"; empty
    /// while Google has refused nothing.
    public var description: String {
        guard isRateLimited else { return "" }
        if let p = pausedFor, p >= .seconds(1) {
            return "rate-limited by Google: waiting \(p.components.seconds) s"
        }
        return "rate-limited by Google: " + String(format: "%.1f calls/s", callsPerSecond)
    }
}

/// Paces the calls of one client to Google's per-user quota: about 600 calls a minute, counted
/// over a sliding window, each batch part a call of its own (developers.google.com/calendar/api/
/// guides/quota).
///
/// It starts without a limit. A request refused for rate (403 rateLimitExceeded or
/// userRateLimitExceeded, 429; for a batch, a quarter of its calls or more) pauses every sender: for `Retry-After` when Google names it, else
/// for an exponential backoff with jitter (the policy's base delay, doubled on each refusal in a
/// row, capped by its `maxDelay`). When the pause ends one probe request goes, with at most
/// `probeCalls` calls; the others wait for its answer. A refused probe doubles the pause; a
/// probe that gets through opens the gate again.
///
/// When probes had to wait (the window was really full, not a lone refusal), the pacer learns
/// the limit as a sliding window of its own: the calls Google took in the window before the
/// first refusal, over the time from the oldest of them to between the last refused probe and
/// the probe that got through (at most a minute). From then on it sends only what that window has room for, so batches shrink and
/// fewer calls are in flight; each window in which the limit held the pacer back raises it by
/// 5% (probing up slowly). A refusal within the learned limit lowers it to what the window
/// held, and a further run of refused probes learns it again, never more than 10% lower at a
/// time, so that random refusals cannot starve the run.
///
/// Progress is any call Google answered finally (a success, or an error not worth retrying).
/// `stalled(for:)` says how long the client has gone without progress since its first failure;
/// callers give up at their policy's `maxWait`.
final class Pacer: @unchecked Sendable {
    struct Grant: Sendable {
        var count: Int
        var probe: Bool
        var issued: Duration
    }

    /// Thrown by `admit` when the client has gone `maxWait` without progress.
    struct GaveUp: Error {
        var stalled: Duration
    }

    /// What one request brought back.
    struct Outcome {
        /// Calls Google took (answered other than with a rate refusal), counted by the quota.
        var answered = 0
        /// Calls with a final answer (progress).
        var final = 0
        /// Calls refused for rate.
        var refused = 0
        /// Calls that failed in a way worth retrying (5xx, no answer).
        var failed = 0
        var retryAfter: Duration?
    }

    private enum Gate {
        case open
        case paused(until: Duration)
        case probing
    }

    /// Google documents a sliding window of one minute.
    static let longestWindow: Duration = .seconds(60)
    static let shortestWindow: Duration = .seconds(1)
    /// Calls in a probe request.
    static let probeCalls = 10

    let clock: PacingClock
    let policy: RetryPolicy

    private let lock = Lock()
    private var gate = Gate.open
    /// Refusals in a row (probes included) in the current episode.
    private var level = 0
    /// The current episode of refusals: when it began, and how many probes were refused.
    private var episode: (start: Duration, refusedProbes: Int, lastRefusedProbe: Duration)?
    /// When the gate last opened; refusals of requests sent before it are old news.
    private var openedAt: Duration = .zero
    /// Calls Google took, by when (one entry per answer), for the last minute.
    private var accepted: [(at: Duration, count: Int)] = []
    private var acceptedHead = 0
    private var inFlight = 0
    private var limitCalls: Int?
    private var limitWindow = Pacer.longestWindow
    /// Whether the learned limit held a sender back since `lastRaise`.
    private var limitBound = false
    private var lastRaise: Duration = .zero
    private var refusedTotal = 0
    private var firstCallAt: Duration?
    /// When the failures began that no progress has followed yet.
    private var stallStart: Duration?
    private var parked: [CheckedContinuation<Void, Never>] = []
    private var gaveUpAt: Duration?
    static let giveUpGrace: Duration = .seconds(2)

    init(clock: PacingClock, policy: RetryPolicy) {
        self.clock = clock
        self.policy = policy
    }

    // MARK: Admission

    private enum Decision {
        case go(Grant)
        case wait(Duration)
        case park
        case giveUp(Duration)
    }

    /// Waits until `wanted` calls (or fewer: the count granted) may be sent. Every grant must
    /// be followed by exactly one `report` or `release`. Throws `GaveUp` once the client has
    /// gone `policy.maxWait` without progress, and `CancellationError`.
    func admit(upTo wanted: Int) async throws -> Grant {
        let wanted = max(1, wanted)
        while true {
            try Task.checkCancellation()
            let decision = lock.withLock { decide(wanted, now: clock.now) }
            switch decision {
            case .go(let g): return g
            case .wait(let d): try await clock.sleep(d)
            case .giveUp(let stalled): throw GaveUp(stalled: stalled)
            case .park:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = lock.withLock {
                        if case .probing = gate {
                            parked.append(c)
                            return false
                        }
                        return true
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    /// Called with the lock held.
    private func decide(_ wanted: Int, now: Duration) -> Decision {
        if firstCallAt == nil { firstCallAt = now }
        if let s = stallStart, now - s >= policy.maxWait {
            // Every sender waiting on this stall gives up with it; a call begun well after it
            // (a later command on the same client) starts a budget of its own.
            if gaveUpAt.map({ now - $0 < Self.giveUpGrace }) ?? true {
                gaveUpAt = gaveUpAt ?? now
                return .giveUp(now - s)
            }
            stallStart = nil
            gaveUpAt = nil
        }
        let remaining: Duration? = stallStart.map { policy.maxWait - (now - $0) }
        func wait(_ d: Duration) -> Decision {
            // Waits end by the deadline, where the next look gives up.
            guard let remaining else { return .wait(d) }
            return .wait(min(d, remaining + .milliseconds(1)))
        }
        switch gate {
        case .paused(let until) where now < until:
            return wait(Self.wholeMilliseconds(until - now))
        case .paused:
            gate = .probing
            let n = min(wanted, Self.probeCalls)
            inFlight += n
            return .go(Grant(count: n, probe: true, issued: now))
        case .probing:
            return .park
        case .open:
            break
        }
        var n = wanted
        if let q = limitCalls {
            trim(now)
            if limitBound && now - lastRaise >= limitWindow {
                limitCalls = q + max(1, q / 20)
                limitBound = false
                lastRaise = now
            }
            let used = acceptedCalls(since: now - limitWindow) + inFlight
            let room = (limitCalls ?? q) - used
            if room <= 0 {
                limitBound = true
                // Room comes back as the oldest calls in the window leave it.
                var d = Duration.milliseconds(50)
                if let oldest = accepted[acceptedHead...].first(where: { $0.at > now - limitWindow }) {
                    d = max(oldest.at + limitWindow - now, .milliseconds(10))
                }
                return wait(d)
            }
            n = min(wanted, room)
            if n < wanted { limitBound = true }
        }
        inFlight += n
        return .go(Grant(count: n, probe: false, issued: now))
    }

    /// Rounded up to whole milliseconds: a pause is not cut short by the microseconds spent
    /// between deciding it and sleeping.
    static func wholeMilliseconds(_ d: Duration) -> Duration {
        let ms = d.components.seconds * 1000 + (d.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return .milliseconds(ms)
    }

    // MARK: Outcomes

    /// Takes back a grant whose request was not sent (or whose outcome is not known, as when
    /// the task was cancelled).
    func release(_ grant: Grant) {
        let wake: [CheckedContinuation<Void, Never>] = lock.withLock {
            inFlight -= grant.count
            guard grant.probe, case .probing = gate else { return [] }
            gate = .paused(until: clock.now)
            return takeParked()
        }
        for c in wake { c.resume() }
    }

    /// Records what a granted request brought back.
    func report(_ grant: Grant, _ o: Outcome) {
        let wake: [CheckedContinuation<Void, Never>] = lock.withLock {
            let now = clock.now
            inFlight -= grant.count
            if o.final > 0 {
                stallStart = nil
                gaveUpAt = nil
            } else if (o.refused > 0 || o.failed > 0) && stallStart == nil { stallStart = now }
            // A full window refuses a good part of a request; a few refused parts among many taken are
            // random refusals, sent again without pausing anyone.
            let mostlyRefused = o.refused > 0 && o.refused * 4 >= o.refused + o.answered
            // Learned before this answer is counted: the probe's calls are not the window's.
            if grant.probe, !mostlyRefused, o.answered > 0, case .probing = gate, let e = episode, e.refusedProbes > 0 {
                learn(from: e, now: now)
            }
            if o.answered > 0 { record(o.answered, at: now) }
            refusedTotal += o.refused
            if mostlyRefused { return refusal(grant, retryAfter: o.retryAfter, now: now) }
            guard grant.probe, case .probing = gate else { return [] }
            if o.answered > 0 {
                gate = .open
                openedAt = now
                level = 0
                episode = nil
            } else {
                // No answer at all (a dropped connection): another probe may go.
                gate = .paused(until: now)
            }
            return takeParked()
        }
        for c in wake { c.resume() }
    }

    /// Called with the lock held.
    private func refusal(_ grant: Grant, retryAfter: Duration?, now: Duration) -> [CheckedContinuation<Void, Never>] {
        switch gate {
        case .open:
            // Refusals of requests sent before the gate last opened were counted then.
            guard grant.issued >= openedAt else { return [] }
            episode = (start: now, refusedProbes: 0, lastRefusedProbe: now)
            level = 1
            if let q = limitCalls {
                // Refused within the learned limit: it is too high (raised too far, or another
                // client shares the quota). Down to what the window held, at most 10% at a time.
                let held = acceptedCalls(since: now - limitWindow)
                limitCalls = max(1, min(q, max(held, Int(Double(q) * 0.9))))
                limitBound = false
                lastRaise = now
            }
            gate = .paused(until: now + pause(level: level, retryAfter: retryAfter))
            return []
        case .paused(let until):
            if let retryAfter, now + retryAfter > until { gate = .paused(until: now + retryAfter) }
            return []
        case .probing:
            guard grant.probe else { return [] }
            episode?.refusedProbes += 1
            episode?.lastRefusedProbe = now
            level += 1
            gate = .paused(until: now + pause(level: level, retryAfter: retryAfter))
            return takeParked()
        }
    }

    /// The pause after the `level`th refusal in a row: half the backoff ceiling plus a jittered
    /// half (so a probe never goes at once), or `Retry-After` when that is longer.
    private func pause(level: Int, retryAfter: Duration?) -> Duration {
        let ceiling = policy.ceiling(retry: level)
        let half = ceiling / 2
        var d = half + max(.zero, min(policy.jitter(half), half))
        if let retryAfter, retryAfter > d { d = retryAfter }
        return d
    }

    /// Learns the limit from an episode whose probes were refused: the window really was full.
    /// Called with the lock held.
    private func learn(from e: (start: Duration, refusedProbes: Int, lastRefusedProbe: Duration), now: Duration) {
        let lookBack = limitCalls == nil ? Self.longestWindow : limitWindow
        let inWindow = accepted[acceptedHead...].filter { $0.at > e.start - lookBack }
        let calls = inWindow.reduce(0) { $0 + $1.count }
        guard calls > 0, let oldest = inWindow.first?.at else { return }
        // Room came back between the last refused probe and this one: the window ends there.
        let window = min(max(((e.lastRefusedProbe - oldest) + (now - oldest)) / 2, Self.shortestWindow), Self.longestWindow)
        if let q = limitCalls {
            limitCalls = max(1, min(q, max(calls, Int(Double(q) * 0.9))))
        } else {
            limitCalls = calls
        }
        limitWindow = window
        limitBound = false
        lastRaise = now
    }

    private func record(_ n: Int, at now: Duration) {
        accepted.append((now, n))
        trim(now)
    }

    private func trim(_ now: Duration) {
        while acceptedHead < accepted.count, accepted[acceptedHead].at <= now - Self.longestWindow { acceptedHead += 1 }
        if acceptedHead > 1024 && acceptedHead * 2 > accepted.count {
            accepted.removeFirst(acceptedHead)
            acceptedHead = 0
        }
    }

    private func acceptedCalls(since t: Duration) -> Int {
        var n = 0
        var i = accepted.count - 1
        while i >= acceptedHead, accepted[i].at > t {
            n += accepted[i].count
            i -= 1
        }
        return n
    }

    private func takeParked() -> [CheckedContinuation<Void, Never>] {
        defer { parked = [] }
        return parked
    }

    // MARK: Reading

    /// How long the client has gone without progress since its failures began (zero when the
    /// last call made progress).
    func stalled() -> Duration {
        lock.withLock { stallStart.map { clock.now - $0 } ?? .zero }
    }

    var status: PacingStatus {
        lock.withLock {
            let now = clock.now
            trim(now)
            let span = min(Self.longestWindow, now - (firstCallAt ?? now))
            let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
            let calls = acceptedCalls(since: now - Self.longestWindow)
            var paused: Duration?
            if case .paused(let until) = gate, until > now { paused = until - now }
            return PacingStatus(
                callsPerSecond: seconds > 0.5 ? Double(calls) / seconds : 0, refusedCalls: refusedTotal,
                learnedCalls: limitCalls, learnedWindow: limitCalls == nil ? nil : limitWindow, pausedFor: paused)
        }
    }
}
