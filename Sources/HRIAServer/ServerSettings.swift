import Foundation
import HRIAKit
import Logging
import Yams

/// How `hria serve` is set up: from its flags, else the environment (`HRIA_LISTEN`, `HRIA_LOG_LEVEL`), else a
/// settings file (`--config FILE`), else the defaults. docs/SERVER.md lists each setting.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var logLevel: Logger.Level = .info
    /// The most bytes a request body may hold; larger ones are refused with 413 before they are read in full.
    public var maximumBodySize = 1 << 20
    /// How long a connection may stay silent (no request, or a request's bytes stalled) before it is closed, so
    /// slow or abandoned clients cannot hold connections open.
    public var idleTimeout = 30
    /// Signed requests a second each person may make, with bursts of twice that; 0 turns the limit off. A command
    /// through the server is two requests, so the default lets one person record 25 commands a second.
    public var rateLimit = 50
    /// The most bytes an evidence upload's body may hold (the command and the file); it is streamed to a private
    /// temporary file and refused with 413 as soon as it passes this, so no more than this is ever held.
    public var maximumUploadSize = 64 << 20
    /// TLS of the server's own: the certificate chain and its private key (PEM files), both or neither. Without
    /// them the server speaks plain HTTP, for a proxy in front to terminate TLS.
    public var tlsCertificate: String?
    public var tlsKey: String?

    public init() {}

    /// The settings a server starts with. `flags` holds what was given on the command line (by setting name);
    /// unknown names in the file are refused, so a misspelt setting never silently falls back to a default.
    public static func resolve(flags: [String: String], environment: [String: String], file: String?) throws(HRIAError) -> ServerSettings {
        var fromFile: [String: String] = [:]
        if let file { fromFile = try read(file) }
        let fromEnvironment = [("listen", "HRIA_LISTEN"), ("log_level", "HRIA_LOG_LEVEL")].reduce(into: [String: String]()) { found, pair in
            if let value = environment[pair.1], !value.isEmpty { found[pair.0] = value }
        }
        func value(_ name: String) -> (value: String, from: String)? {
            if let flag = flags[name] { return (flag, "--" + name.replacingOccurrences(of: "_", with: "-")) }
            if let found = fromEnvironment[name] { return (found, name == "listen" ? "HRIA_LISTEN" : "HRIA_LOG_LEVEL") }
            if let found = fromFile[name] { return (found, "\(Paths.name(file ?? "")): \(name)") }
            return nil
        }
        var settings = ServerSettings()
        if let (listen, from) = value("listen") {
            (settings.host, settings.port) = try address(listen, from: from)
        }
        if let (level, from) = value("log_level") {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw .badInput("\(from): \"\(DisplayText.escape(level))\" is not a log level",
                                help: "use one of " + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
            }
            settings.logLevel = parsed
        }
        if let (size, from) = value("max_body_bytes") {
            guard let bytes = Int(size), bytes >= 1024, bytes <= 1 << 30 else {
                throw .badInput("\(from): \"\(DisplayText.escape(size))\" is not a body size", help: "give a number of bytes from 1024 to 1073741824")
            }
            settings.maximumBodySize = bytes
        }
        if let (seconds, from) = value("idle_timeout") {
            guard let parsed = Int(seconds), parsed >= 1, parsed <= 3600 else {
                throw .badInput("\(from): \"\(DisplayText.escape(seconds))\" is not a timeout", help: "give whole seconds from 1 to 3600")
            }
            settings.idleTimeout = parsed
        }
        if let (rate, from) = value("rate_limit") {
            guard let parsed = Int(rate), parsed >= 0, parsed <= 1_000_000 else {
                throw .badInput("\(from): \"\(DisplayText.escape(rate))\" is not a rate",
                                help: "give the signed requests a second one person may make, from 1 to 1000000, or 0 for no limit")
            }
            settings.rateLimit = parsed
        }
        if let (size, from) = value("max_upload_bytes") {
            guard let bytes = Int(size), bytes >= 1024, bytes <= 1 << 30 else {
                throw .badInput("\(from): \"\(DisplayText.escape(size))\" is not an upload size", help: "give a number of bytes from 1024 to 1073741824")
            }
            settings.maximumUploadSize = bytes
        }
        let certificate = value("tls_certificate"), key = value("tls_key")
        switch (certificate, key) {
        case (nil, nil): break
        case let (certificate?, key?):
            // A path in the settings file is taken from the file's folder, as a reader of the file expects.
            func located(_ found: (value: String, from: String)) -> String {
                guard let file, !found.from.hasPrefix("--"), !found.value.hasPrefix("/") else { return found.value }
                return Paths.join(Paths.parent(file), found.value)
            }
            settings.tlsCertificate = located(certificate)
            settings.tlsKey = located(key)
        case let (given?, nil), let (nil, given?):
            throw .badInput("\(given.from): TLS needs both a certificate chain and its private key",
                            help: "give --tls-certificate FILE and --tls-key FILE (or tls_certificate and tls_key), or neither to serve plain HTTP behind a proxy")
        }
        return settings
    }

    /// `HOST:PORT`, `[IPv6]:PORT` or `:PORT` (loopback). Port 0 asks the system for a free one; the server says
    /// which on its first log line.
    static func address(_ text: String, from: String) throws(HRIAError) -> (String, Int) {
        let host: String
        let portText: String
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex) ..< close])
            portText = String(text[text.index(after: close)...].dropFirst())
            guard text[text.index(after: close)...].hasPrefix(":") else { throw badAddress(text, from) }
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon].isEmpty ? "127.0.0.1" : String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        } else {
            throw badAddress(text, from)
        }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" }), let port = Int(portText), (0 ... 65535).contains(port) else {
            throw badAddress(text, from)
        }
        return (host, port)
    }

    private static func badAddress(_ text: String, _ from: String) -> HRIAError {
        .badInput("\(from): \"\(DisplayText.escape(text))\" is not an address to listen on", help: "write HOST:PORT, for example 127.0.0.1:8080")
    }

    /// The settings file: a YAML mapping of setting names to values.
    static func read(_ path: String) throws(HRIAError) -> [String: String] {
        let bytes = try InputFile.read(path, displayName: path, limit: 64 * 1024).bytes
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badInput("\(path) is not valid UTF-8") }
        let known = ["listen", "log_level", "max_body_bytes", "idle_timeout", "rate_limit", "max_upload_bytes", "tls_certificate", "tls_key"]
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .badInput("\(path) is not valid YAML: \(DisplayText.escape(String(describing: error)))")
        }
        guard let node else { return [:] }
        guard let mapping = node.mapping else { throw .badInput("\(path) must be a mapping of settings (name: value)") }
        var found: [String: String] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string, let text = value.scalar?.string else {
                throw .badInput("\(path):\(key.mark?.line ?? 0): each setting is a name and a single value")
            }
            guard known.contains(name) else {
                throw .badInput("\(path):\(key.mark?.line ?? 0): unknown setting \"\(DisplayText.escape(name))\"",
                                help: Suggestions.closest(to: name, in: known).map { "did you mean \($0)?" } ?? "settings: " + known.joined(separator: ", "))
            }
            found[name] = text
        }
        return found
    }
}
