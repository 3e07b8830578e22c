import Foundation
import HRIAKit
import Logging

/// Structured logs: one JSON object per line on standard error (time, level, label, message and metadata), as log
/// collectors read them. Metadata is flattened to strings; no request body or confidential value is ever logged.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private static let lock = NSLock()

    init(label: String, level: Logger.Level) {
        self.label = label
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var members: [String: JSONValue] = [
            "time": .string(Timestamp.format(Date())), "level": .string(event.level.rawValue), "label": .string(label),
            "message": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) where members[key] == nil {
            members[key] = .string(value.description)
        }
        let line = Data((JSONValue.object(members).rendered(pretty: false) + "\n").utf8)
        // One write per line, never two lines interleaved.
        Self.lock.lock()
        defer { Self.lock.unlock() }
        FileHandle.standardError.write(line)
    }
}
