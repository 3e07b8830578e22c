import Foundation
import HRIAKit

/// How to reach the database, read as libpq reads it: the URL (`postgresql://USER@HOST:PORT/DB?sslmode=…`), then
/// `PGUSER`, `PGPASSWORD`, the password file (`PGPASSFILE`, else `~/.pgpass`), `PGSSLMODE` and `PGSSLROOTCERT`.
struct DatabaseSettings: Sendable, Hashable {
    enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var user: String
    var database: String
    var password: String?
    var sslMode: SSLMode
    var rootCertificate: String?
    /// The address with no password, for messages.
    var display: String

    static func parse(_ address: String, environment: [String: String]) throws(HRIAError) -> DatabaseSettings {
        guard let components = URLComponents(string: address), let host = components.host, !host.isEmpty else {
            throw HRIAError(.badInput, "\"\(DisplayText.escape(address))\" is not a valid database address",
                            help: "write it as postgresql://USER@HOST:PORT/DATABASE")
        }
        if host.hasPrefix("/") || host.hasPrefix("%2F") {
            throw HRIAError(.badInput, "hria reaches PostgreSQL over TCP, not a Unix socket", help: "give the server's host name or address")
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let known: Set<String> = ["sslmode", "sslrootcert", "application_name", "connect_timeout"]
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw HRIAError(.badInput, "the database address has a parameter hria does not use: \(DisplayText.escape(unknown))",
                            help: "hria understands sslmode and sslrootcert")
        }
        let port = components.port ?? environment["PGPORT"].flatMap(Int.init) ?? 5432
        let user = components.user.flatMap { $0.removingPercentEncoding } ?? environment["PGUSER"]
            ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        var database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = database.removingPercentEncoding ?? database
        if database.isEmpty { database = environment["PGDATABASE"] ?? user }
        let modeText = query["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw HRIAError(.badInput, "sslmode \(DisplayText.escape(modeText)) is not one PostgreSQL knows",
                            help: "use one of " + SSLMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var display = components
        display.password = nil
        display.query = nil
        let password = components.password.flatMap { $0.removingPercentEncoding } ?? environment["PGPASSWORD"]
            ?? passwordFromFile(environment: environment, host: host, port: port, database: database, user: user)
        return DatabaseSettings(host: host, port: port, user: user, database: database, password: password, sslMode: mode,
                                rootCertificate: query["sslrootcert"] ?? environment["PGSSLROOTCERT"],
                                display: display.string ?? "the database")
    }

    /// The password the password file gives for this server, database and user (lines `host:port:database:user:password`,
    /// `*` matching anything, `\` escaping `:` and `\`). As libpq does, a file others may read is ignored.
    static func passwordFromFile(environment: [String: String], host: String, port: Int, database: String, user: String) -> String? {
        let path = environment["PGPASSFILE"] ?? environment["HOME"].map { "\($0)/.pgpass" }
        guard let path, let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 == 0,
              let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = splitFields(String(line))
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    static func splitFields(_ line: String) -> [String] {
        var fields: [String] = [], current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":", fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
