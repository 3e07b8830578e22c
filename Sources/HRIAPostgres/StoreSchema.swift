import HRIAKit
import PostgresNIO

/// The database's tables, built by numbered migrations that hria applies itself (`hria store migrate`, and at the
/// first use of a database by any command). docs/STORE.md describes each table.
public enum StoreSchema {
    public struct Migration: Sendable {
        public var version: Int
        public var description: String
        var statements: [String]
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, description: "assessments, events with their checkpoints, workflows, evidence, disclosures", statements: [
            """
            CREATE TABLE assessments (
                id text PRIMARY KEY,
                workflow bytea NOT NULL,
                changes bigint NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE events (
                assessment text NOT NULL REFERENCES assessments (id),
                seq bigint NOT NULL CHECK (seq >= 0),
                line bytea NOT NULL,
                leaf bytea NOT NULL,
                checkpoint bytea,
                PRIMARY KEY (assessment, seq)
            )
            """,
            """
            CREATE TABLE workflow_snapshots (
                assessment text NOT NULL REFERENCES assessments (id),
                sha256 text NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (assessment, sha256)
            )
            """,
            """
            CREATE TABLE evidence (
                assessment text NOT NULL REFERENCES assessments (id),
                sha256 text NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (assessment, sha256)
            )
            """,
            """
            CREATE TABLE disclosures (
                assessment text NOT NULL REFERENCES assessments (id),
                digest text NOT NULL,
                value bytea NOT NULL,
                PRIMARY KEY (assessment, digest)
            )
            """,
            // hria only ever inserts rows (and deletes an erased disclosure): any other change to what verify reads
            // is counted on its assessment, so that a command stops believing its snapshot of the standing.
            """
            CREATE FUNCTION hria_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' THEN
                    UPDATE assessments SET changes = changes + 1 WHERE id IN (OLD.assessment, NEW.assessment);
                ELSE
                    UPDATE assessments SET changes = changes + 1 WHERE id = OLD.assessment;
                END IF;
                RETURN NULL;
            END $$
            """,
            "CREATE TRIGGER events_changed AFTER UPDATE OR DELETE ON events FOR EACH ROW EXECUTE FUNCTION hria_count_change()",
            "CREATE TRIGGER workflow_snapshots_changed AFTER UPDATE OR DELETE ON workflow_snapshots FOR EACH ROW EXECUTE FUNCTION hria_count_change()",
            "CREATE TRIGGER evidence_changed AFTER UPDATE OR DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION hria_count_change()",
            "CREATE TRIGGER disclosures_changed AFTER UPDATE OR DELETE ON disclosures FOR EACH ROW EXECUTE FUNCTION hria_count_change()",
            """
            CREATE FUNCTION hria_count_workflow_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                NEW.changes := OLD.changes + 1;
                RETURN NEW;
            END $$
            """,
            "CREATE TRIGGER first_workflow_changed BEFORE UPDATE OF id, workflow ON assessments FOR EACH ROW EXECUTE FUNCTION hria_count_workflow_change()",
        ]),
        // What is kept beside an assessment for its people only (the web's consultation forms and submissions awaiting
        // review): not part of the record, so no trigger counts its changes; a table of its own, as `disclosures` is.
        Migration(version: 2, description: "private items: consultations and submissions awaiting review", statements: [
            """
            CREATE TABLE private_items (
                assessment text NOT NULL REFERENCES assessments (id),
                name text NOT NULL,
                bytes bytea NOT NULL,
                PRIMARY KEY (assessment, name)
            )
            """,
        ]),
        // What every `hria serve` on this database shares, so that any number of them serve it without sticky routing
        // (docs/SERVER.md, "Several instances on one database"): not part of any record, so no trigger counts changes.
        Migration(version: 3, description: "what the servers share: nonces, drafts waiting for their signer, answers to commits", statements: [
            // All three unlogged: no write-ahead log, so no flush to disk, for a row per signed request and three
            // statements per commit (nor twice the bytes of an uploaded file). A crash of the database empties them, as
            // a restart empties a server's memory on files: a signature made before the database started is refused
            // (PostgresServerState), a draft is prepared again, and a retried commit is recognised by its content.
            """
            CREATE UNLOGGED TABLE server_nonces (
                keyid text NOT NULL,
                nonce text NOT NULL,
                created bigint NOT NULL,
                PRIMARY KEY (keyid, nonce)
            )
            """,
            """
            CREATE UNLOGGED TABLE server_drafts (
                id text PRIMARY KEY,
                scope text NOT NULL,
                actor text NOT NULL,
                expires timestamptz NOT NULL,
                claimed_until timestamptz,
                bytes bigint NOT NULL,
                file_bytes bigint NOT NULL,
                draft bytea NOT NULL,
                file bytea
            )
            """,
            "CREATE INDEX server_drafts_actor ON server_drafts (actor)",
            """
            CREATE UNLOGGED TABLE server_answers (
                key bytea PRIMARY KEY,
                status integer NOT NULL,
                body bytea NOT NULL,
                expires timestamptz NOT NULL
            )
            """,
            // Keeps a draft only within the bounds, counted with it. One keeper of a person's drafts at a time (a lock
            // on the person for the statement's transaction), so two prepares at once cannot both slip under the
            // person's bound; the bound in all is counted the same way, without a lock of its own.
            """
            CREATE FUNCTION server_keep_draft(p_id text, p_scope text, p_actor text, p_expires timestamptz, p_now timestamptz,
                                              p_draft bytea, p_file bytea, p_total bigint, p_per_person bigint,
                                              p_files_total bigint, p_files_per_person bigint) RETURNS boolean LANGUAGE plpgsql AS $$
            DECLARE
                size bigint := octet_length(p_draft);
                file_size bigint := coalesce(octet_length(p_file), 0);
                held bigint;
                held_files bigint;
            BEGIN
                PERFORM pg_advisory_xact_lock(72430017, hashtext(p_actor));
                DELETE FROM server_drafts WHERE actor = p_actor AND expires <= p_now AND (claimed_until IS NULL OR claimed_until <= p_now);
                SELECT coalesce(sum(bytes), 0), coalesce(sum(file_bytes), 0) INTO held, held_files FROM server_drafts WHERE actor = p_actor;
                IF held + size > p_per_person OR held_files + file_size > p_files_per_person THEN
                    RETURN false;
                END IF;
                SELECT coalesce(sum(bytes), 0), coalesce(sum(file_bytes), 0) INTO held, held_files FROM server_drafts
                    WHERE expires > p_now OR claimed_until > p_now;
                IF held + size > p_total OR held_files + file_size > p_files_total THEN
                    RETURN false;
                END IF;
                INSERT INTO server_drafts (id, scope, actor, expires, bytes, file_bytes, draft, file)
                    VALUES (p_id, p_scope, p_actor, p_expires, size, file_size, p_draft, p_file);
                RETURN true;
            END $$
            """,
        ]),
    ]

    public static var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The version the database is at (0: no hria tables yet).
    static func version(_ session: PostgresSession, connection: PostgresConnection) throws(HRIAError) -> Int {
        let exists = try session.run("SELECT to_regclass('hria_schema') IS NOT NULL", on: connection, doing: "read the schema version of")
        guard let row = exists.first, (try? row.decode(Bool.self)) == true else { return 0 }
        let rows = try session.run("SELECT coalesce(max(version), 0) FROM hria_schema", on: connection, doing: "read the schema version of")
        return rows.first.flatMap { try? $0.decode(Int.self) } ?? 0
    }

    /// At first use: a database behind this hria is migrated; one ahead of it is refused, since this hria would not
    /// know what the newer tables mean.
    static func ensureCurrent(_ session: PostgresSession, connection: PostgresConnection, found version: Int) throws(HRIAError) -> [Migration] {
        if version == latestVersion { return [] }
        if version > latestVersion {
            throw HRIAError(.badInput, "the database \(session.settings.display) has hria's schema version \(version), newer than this hria knows (\(latestVersion))",
                            help: "use a newer hria with this database")
        }
        return try migrate(session, connection: connection)
    }

    /// Applies every migration not yet applied, each in one transaction, one process at a time (an advisory lock);
    /// returns the versions applied.
    static func migrate(_ session: PostgresSession, connection: PostgresConnection) throws(HRIAError) -> [Migration] {
        var applied: [Migration] = []
        for migration in migrations {
            let doing = "apply schema migration \(migration.version) to"
            _ = try session.run("BEGIN", on: connection, doing: doing)
            do throws(HRIAError) {
                _ = try session.run("SELECT pg_advisory_xact_lock(72430016)", on: connection, doing: doing)
                _ = try session.run("""
                    CREATE TABLE IF NOT EXISTS hria_schema (
                        version integer PRIMARY KEY,
                        description text NOT NULL,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """, on: connection, doing: doing)
                let done = try session.run("SELECT 1 FROM hria_schema WHERE version = \(migration.version)", on: connection, doing: doing)
                if done.isEmpty {
                    for statement in migration.statements {
                        _ = try session.run(PostgresQuery(unsafeSQL: statement), on: connection, doing: doing)
                    }
                    _ = try session.run("INSERT INTO hria_schema (version, description) VALUES (\(migration.version), \(migration.description))",
                                        on: connection, doing: doing)
                    applied.append(migration)
                }
                _ = try session.run("COMMIT", on: connection, doing: doing)
            } catch {
                _ = try? session.run("ROLLBACK", on: connection, doing: doing)
                throw error
            }
        }
        return applied
    }
}
