import Foundation

/// Per-person rate limits on the signed API (docs/SERVER.md, "Limits"): each person's requests draw on a bucket of
/// `burst` that refills at `rate` a second; a request that finds it empty is answered 429 with the seconds until
/// one is back. Counted after the signature is checked, so nobody can spend another person's allowance, and keyed
/// by roster person, so the buckets never outnumber the people on the roster.
final class RateLimiter: @unchecked Sendable {
    // @unchecked: `buckets` is reached only under `lock`.
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Double)] = [:]
    /// Requests a second per person; 0 turns the limit off.
    let rate: Double
    let burst: Double

    init(perSecond rate: Int) {
        self.rate = Double(rate)
        burst = Double(max(1, rate * 2))
    }

    /// nil when `person` may go on; otherwise the whole seconds until they may ask again.
    func admit(_ person: String, now: Double) -> Int? {
        guard rate > 0 else { return nil }
        lock.lock()
        defer { lock.unlock() }
        var bucket = buckets[person] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * rate)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[person] = bucket
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
        bucket.tokens -= 1
        buckets[person] = bucket
        return nil
    }
}
