import Foundation
import HRIAKit
import NIOCore
import PostgresNIO

extension PostgresStore {
    /// The database keeps what the servers on it share (docs/SERVER.md, "Several instances on one database"), on the
    /// same connection as the request's other statements.
    public var sharedServerState: (any SharedServerState)? { PostgresServerState(session: session) }
}

/// Nonces, drafts and answers to commits in the tables of schema version 3 (docs/STORE.md): every call is one
/// statement, so each is one round trip and all or nothing.
struct PostgresServerState: SharedServerState {
    let session: PostgresSession

    func record(nonce: String, keyid: String, created: Int, sweepBefore: Int?, now: Date) throws(HRIAError) -> SharedNonceVerdict {
        // The nonces are in an unlogged table, which a crash of the database empties: a signature made before the
        // database (re)started may have had its nonce forgotten, so it is refused, as a server refuses one made before
        // it started when it keeps nonces in memory. The start is read in the same statement: no second round trip.
        let query: PostgresQuery
        if let sweepBefore {
            // Now and then, the same statement also drops what has expired: nonces past the window, answers past their
            // day, drafts past their two minutes whose commit is not running.
            query = """
                WITH started AS (SELECT floor(extract(epoch FROM pg_postmaster_start_time()))::bigint AS at),
                made AS (INSERT INTO server_nonces (keyid, nonce, created) SELECT \(keyid), \(nonce), \(created) FROM started
                         WHERE \(created) >= started.at ON CONFLICT DO NOTHING RETURNING 1),
                old_nonces AS (DELETE FROM server_nonces WHERE created < \(sweepBefore)),
                old_answers AS (DELETE FROM server_answers WHERE expires <= \(now)),
                old_drafts AS (DELETE FROM server_drafts WHERE expires <= \(now) AND (claimed_until IS NULL OR claimed_until <= \(now)))
                SELECT (SELECT at FROM started), (SELECT count(*) FROM made)
                """
        } else {
            query = """
                WITH started AS (SELECT floor(extract(epoch FROM pg_postmaster_start_time()))::bigint AS at),
                made AS (INSERT INTO server_nonces (keyid, nonce, created) SELECT \(keyid), \(nonce), \(created) FROM started
                         WHERE \(created) >= started.at ON CONFLICT DO NOTHING RETURNING 1)
                SELECT (SELECT at FROM started), (SELECT count(*) FROM made)
                """
        }
        let rows = try session.rows(query, doing: "check a request's nonce in")
        guard let row = rows.first, let (started, made) = try? row.decode((Int, Int).self) else {
            throw HRIAError(.internalError, "the database \(session.settings.display) gave no answer for a request's nonce")
        }
        if made == 1 { return .fresh }
        return created < started ? .signedBeforeStart : .replayed
    }

    func keep(_ draft: SharedDraft, now: Date, bounds: SharedDraftBounds) throws(HRIAError) -> Bool {
        let query: PostgresQuery = """
            SELECT server_keep_draft(\(draft.id), \(draft.scope), \(draft.actor), \(draft.expires), \(now), \(ByteBuffer(bytes: draft.draft)),
                                     \(draft.file.map { ByteBuffer(bytes: $0) }), \(bounds.total), \(bounds.perPerson), \(bounds.filesTotal),
                                     \(bounds.filesPerPerson))
            """
        let rows = try session.rows(query, doing: "keep a draft in")
        return rows.first.flatMap { try? $0.decode(Bool.self) } ?? false
    }

    func begin(_ id: String, scope: String, signer: String, answerKey: [UInt8]?, now: Date, leaseUntil: Date) throws(HRIAError) -> SharedDraftLookup {
        // One statement: the answer already given under the key, else the draft taken for this commit.
        let query: PostgresQuery = """
            WITH earlier AS (SELECT status, body FROM server_answers WHERE key = \(answerKey.map { ByteBuffer(bytes: $0) }) AND expires > \(now)),
            taken AS (UPDATE server_drafts SET claimed_until = \(leaseUntil)
                      WHERE id = \(id) AND scope = \(scope) AND actor = \(signer) AND expires > \(now)
                        AND (claimed_until IS NULL OR claimed_until <= \(now)) AND NOT EXISTS (SELECT 1 FROM earlier)
                      RETURNING draft, file)
            SELECT true, status, body, NULL::bytea, NULL::bytea FROM earlier
            UNION ALL SELECT false, NULL::integer, NULL::bytea, draft, file FROM taken
            """
        let rows = try session.rows(query, doing: "take a draft from")
        if let row = rows.first {
            guard let (answered, status, body, draft, file) = try? row.decode((Bool, Int?, ByteBuffer?, ByteBuffer?, ByteBuffer?).self) else {
                throw HRIAError(.internalError, "a kept draft or answer in \(session.settings.display) cannot be read")
            }
            if answered, let status, let body { return .answered(status: status, body: Array(body.readableBytesView)) }
            if let draft { return .ready(draft: Array(draft.readableBytesView), file: file.map { Array($0.readableBytesView) }) }
            throw HRIAError(.internalError, "a kept draft or answer in \(session.settings.display) cannot be read")
        }
        // Not taken: only now is it worth a second statement to say why.
        let why = try session.rows("""
            SELECT scope, actor, expires > \(now), coalesce(claimed_until > \(now), false) FROM server_drafts WHERE id = \(id)
            """, doing: "look for a draft in")
        guard let row = why.first, let (found, actor, fresh, committing) = try? row.decode((String, String, Bool, Bool).self),
              fresh || committing else { return .unknown }
        guard found == scope else { return .otherScope }
        guard actor == signer else { return .notYours(actor: actor) }
        // Taken by another commit, or freed between the two statements: either way, asking again is the answer.
        return .committing
    }

    func finish(_ id: String, answer: SharedAnswer?) throws(HRIAError) {
        if let answer {
            try session.rows("""
                WITH gone AS (DELETE FROM server_drafts WHERE id = \(id))
                INSERT INTO server_answers (key, status, body, expires)
                VALUES (\(ByteBuffer(bytes: answer.key)), \(answer.status), \(ByteBuffer(bytes: answer.body)), \(answer.expires))
                ON CONFLICT (key) DO NOTHING
                """, doing: "keep the answer to a commit in")
        } else {
            try session.rows("DELETE FROM server_drafts WHERE id = \(id)", doing: "drop a draft from")
        }
    }
}
