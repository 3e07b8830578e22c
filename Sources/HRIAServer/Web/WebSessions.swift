import Crypto
import Foundation
import HRIAKit

/// Who is signed in to the web pages, and the challenges they sign to get there (docs/WEB.md, "Signing in").
///
/// A browser signs in by signing a fresh challenge with its own key, the one the roster lists for the person: the
/// server never sees a password or a key that can sign. A session is short (30 minutes from signing in, whatever is
/// done in it), held in this process's memory only, and carries its own token against cross-site forms. Everything a
/// session does to a record is signed again, event by event, by the same browser key: the session only lets a person
/// read pages and prepare what they then sign.
final class WebSessions: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()

    struct Session: Sendable {
        var person: String
        /// The key the person signed in with, as the roster listed it then: a key changed since ends the session.
        var key: String
        /// The token every form of this session carries.
        var csrf: String
        var expires: Date
    }

    private var challenges: [String: Date] = [:]
    private var sessions: [String: Session] = [:]
    static let sessionLifetime: TimeInterval = 30 * 60
    static let challengeLifetime: TimeInterval = 120
    /// Bounds, so that asking for challenges or signing in again and again cannot fill the server's memory.
    let challengeLimit = 10_000
    let sessionLimit = 50_000
    /// What a sign-in signature is made for: an SSH signature made for anything else (an event, a file) never opens a
    /// session, and a sign-in signature is never an event's.
    static let namespace = "hria-web-sign-in"

    static func random(_ bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0 ..< bytes).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
    }

    /// A new challenge to sign; nil when too many are waiting.
    func challenge(now: Date) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if challenges.count >= challengeLimit { challenges = challenges.filter { $0.value > now } }
        guard challenges.count < challengeLimit else { return nil }
        let challenge = "hria-sign-in:" + Self.random()
        challenges[challenge] = now.addingTimeInterval(Self.challengeLifetime)
        return challenge
    }

    /// Takes a challenge: true once, if it was given out here and has not expired.
    func take(challenge: String, now: Date) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let expires = challenges.removeValue(forKey: challenge) else { return false }
        return expires > now
    }

    /// Opens a session for a person who signed a challenge; its id (the cookie's value). Nil when full.
    func open(person: String, key: String, now: Date) -> (id: String, session: Session)? {
        lock.lock()
        defer { lock.unlock() }
        if sessions.count >= sessionLimit { sessions = sessions.filter { $0.value.expires > now } }
        guard sessions.count < sessionLimit else { return nil }
        let id = Self.random()
        let session = Session(person: person, key: key, csrf: Self.random(), expires: now.addingTimeInterval(Self.sessionLifetime))
        sessions[id] = session
        return (id, session)
    }

    func session(_ id: String, now: Date) -> Session? {
        lock.lock()
        defer { lock.unlock() }
        guard let found = sessions[id] else { return nil }
        guard found.expires > now else {
            sessions.removeValue(forKey: id)
            return nil
        }
        return found
    }

    func close(_ id: String) {
        lock.lock()
        defer { lock.unlock() }
        sessions.removeValue(forKey: id)
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func sameToken(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0 ..< x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
