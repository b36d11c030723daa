import Foundation

// Injected failures: random faults and latency, the failNext queue, the read-only switches and
// the per-user rate limit, all decided before a call is applied.

extension FakeGoogleServer {
    /// Random faults, each a probability per API call (batch parts included, each rolled on its
    /// own; the token endpoints never fault). One draw per call from a generator seeded with
    /// `seed`, so a given sequence of calls meets the same faults every run.
    public struct Faults: Sendable, Equatable {
        /// 403 `rateLimitExceeded` ("Rate Limit Exceeded", domain usageLimits).
        public var rateLimitExceeded: Double
        /// 403 `userRateLimitExceeded`.
        public var userRateLimitExceeded: Double
        /// 429 `rateLimitExceeded` with `Retry-After: 1`.
        public var tooManyRequests: Double
        /// 503 `backendError`.
        public var backendError: Double
        /// 500 `backendError`.
        public var internalError: Double
        /// The connection closes without an answer; nothing was applied. Not for batch parts
        /// (the whole batch request rolls for it once).
        public var dropConnection: Double
        /// The call is applied, then the connection closes without an answer (a lost response).
        /// Not for batch parts.
        public var dropAfterApplying: Double
        /// Added before every response (API, batch and token endpoints alike).
        public var latency: Duration
        public var seed: UInt64
        /// Method ids faults apply to ("calendar.events.import", "batch", ...); nil: every API call.
        public var endpoints: Set<String>?

        public init(
            rateLimitExceeded: Double = 0, userRateLimitExceeded: Double = 0, tooManyRequests: Double = 0,
            backendError: Double = 0, internalError: Double = 0, dropConnection: Double = 0, dropAfterApplying: Double = 0,
            latency: Duration = .zero, seed: UInt64 = 0, endpoints: Set<String>? = nil
        ) {
            self.rateLimitExceeded = rateLimitExceeded
            self.userRateLimitExceeded = userRateLimitExceeded
            self.tooManyRequests = tooManyRequests
            self.backendError = backendError
            self.internalError = internalError
            self.dropConnection = dropConnection
            self.dropAfterApplying = dropAfterApplying
            self.latency = latency
            self.seed = seed
            self.endpoints = endpoints
        }

        public static let none = Faults()
    }

    /// A fault for `failNext`.
    public enum Fault: String, Sendable, CaseIterable {
        case rateLimitExceeded, userRateLimitExceeded, quotaExceeded, tooManyRequests, backendError, internalError, dropConnection
    }

    /// Google's per-user quota: at most `calls` API calls in any window of `per` (a sliding
    /// window; Google's is a minute, 600 calls by default for a project), batch parts counting
    /// one each and a batch request itself none. A call beyond it is refused before anything is
    /// applied, with `answer`, and is not counted (only calls the quota let through fill it).
    public struct RateLimit: Sendable, Equatable {
        /// How a call beyond the quota is answered; Google documents "a 403 usageLimits status
        /// code or a 429 usageLimits status code" (guides/quota) without a Retry-After.
        public enum Answer: String, Sendable, Equatable, CaseIterable {
            /// 403 `userRateLimitExceeded`, domain usageLimits ("User Rate Limit Exceeded").
            case userRateLimitExceeded
            /// 403 `rateLimitExceeded`, domain usageLimits ("Rate Limit Exceeded").
            case rateLimitExceeded
            /// 429 `rateLimitExceeded`, domain usageLimits, no Retry-After.
            case tooManyRequests
        }
        public var calls: Int
        public var per: Duration
        public var answer: Answer
        public init(calls: Int, per: Duration, answer: Answer = .userRateLimitExceeded) {
            self.calls = calls
            self.per = per
            self.answer = answer
        }

        /// Google's documented per-user limit: 600 calls a minute.
        public static let google = RateLimit(calls: 600, per: .seconds(60))
    }

    // MARK: - Hooks

    /// Random faults and latency. Setting them re-seeds the generator with `seed`.
    public var faults: Faults {
        get { locked { faultSettings } }
        set {
            locked {
                faultSettings = newValue
                faultRNG = SplitMix64(seed: newValue.seed)
            }
        }
    }

    /// The next `count` API calls (batch parts included; token endpoints excluded) fail with
    /// `fault`, before any random fault. Calls queue up: `failNext(2, .backendError)` then
    /// `failNext(1, .quotaExceeded)` fails three calls in that order.
    public func failNext(_ count: Int, with fault: Fault = .quotaExceeded) {
        locked { failQueue += Array(repeating: fault, count: max(0, count)) }
    }

    /// While true, every write (POST, PUT, PATCH, DELETE) fails with 403 `quotaExceeded`
    /// ("Calendar usage limits exceeded."), reads work: the calendar is read-only, as after
    /// Google's usage limits are hit.
    public var usageLimitsExceeded: Bool {
        get { locked { usageLimited } }
        set { locked { usageLimited = newValue } }
    }

    /// While true, every write fails with 403 `forbidden` ("You need to have writer access to
    /// this calendar."), reads work: the account can only read the calendar.
    public var writesForbidden: Bool {
        get { locked { readerOnly } }
        set { locked { readerOnly = newValue } }
    }

    /// The per-user quota (nil: none). Setting it empties the window. Refusals are counted in
    /// `statistics.faults["quota"]`.
    public var rateLimit: RateLimit? {
        get { locked { rateLimitSetting } }
        set { locked {
            rateLimitSetting = newValue
            recentCalls = []
        } }
    }

    // MARK: - Deciding a fault

    enum Decision {
        case none
        case error(APIError)
        case drop
        case dropAfterApplying
    }

    private func countFault(_ name: String) { stats.faults[name, default: 0] += 1 }

    private func decision(for fault: Fault) -> Decision {
        countFault(fault.rawValue)
        switch fault {
        case .rateLimitExceeded: return .error(.rateLimitExceeded)
        case .userRateLimitExceeded: return .error(.userRateLimitExceeded)
        case .quotaExceeded: return .error(.quotaExceeded)
        case .tooManyRequests: return .error(.tooManyRequests)
        case .backendError: return .error(.backendError)
        case .internalError: return .error(.internalError)
        case .dropConnection: return .drop
        }
    }

    /// Decided before anything is applied. Order: the failNext queue, the read-only switch, the
    /// rate limit, then one random draw. A batch request as a whole only draws (its parts meet
    /// the queue, the switch and the limit).
    func decideFault(endpoint: String, write: Bool, inBatch: Bool, wholeBatch: Bool = false) -> Decision {
        if wholeBatch {
        } else if !failQueue.isEmpty {
            let fault = failQueue.removeFirst()
            // A batch part cannot drop the connection: it fails as a backend error instead.
            return decision(for: inBatch && fault == .dropConnection ? .backendError : fault)
        }
        if usageLimited && write && !wholeBatch { return decision(for: .quotaExceeded) }
        if readerOnly && write && !wholeBatch { return .error(.writerAccessRequired) }
        if let limit = rateLimitSetting, !wholeBatch {
            let now = DispatchTime.now().uptimeNanoseconds
            let window = UInt64(limit.per.components.seconds) * 1_000_000_000 + UInt64(limit.per.components.attoseconds / 1_000_000_000)
            if let keep = recentCalls.firstIndex(where: { now - $0 < window }) {
                if keep > 0 { recentCalls.removeFirst(keep) }
            } else {
                recentCalls.removeAll()
            }
            if recentCalls.count >= limit.calls {
                countFault("quota")
                switch limit.answer {
                case .userRateLimitExceeded: return .error(.userRateLimitExceeded)
                case .rateLimitExceeded: return .error(.rateLimitExceeded)
                case .tooManyRequests: return .error(.quotaTooManyRequests)
                }
            }
            recentCalls.append(now)
        }
        let f = faultSettings
        if let endpoints = f.endpoints, !endpoints.contains(endpoint) { return .none }
        let total = f.rateLimitExceeded + f.userRateLimitExceeded + f.tooManyRequests + f.backendError + f.internalError
            + (inBatch ? 0 : f.dropConnection + f.dropAfterApplying)
        guard total > 0 else { return .none }
        let r = faultRNG.unit()
        var threshold = 0.0
        let table: [(Double, Fault?)] = [
            (f.rateLimitExceeded, .rateLimitExceeded), (f.userRateLimitExceeded, .userRateLimitExceeded),
            (f.tooManyRequests, .tooManyRequests), (f.backendError, .backendError), (f.internalError, .internalError),
            (inBatch ? 0 : f.dropConnection, .dropConnection), (inBatch ? 0 : f.dropAfterApplying, nil),
        ]
        for (p, fault) in table where p > 0 {
            threshold += p
            if r < threshold {
                if let fault { return decision(for: fault) }
                countFault("dropAfterApplying")
                return .dropAfterApplying
            }
        }
        return .none
    }
}
