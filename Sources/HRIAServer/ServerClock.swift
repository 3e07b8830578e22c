import Foundation
import HRIAKit

/// The time the server decides and records at: the system's, or, for tests and reproducible examples, the moment
/// written in the file `HRIA_NOW_FILE` names. The command line takes a fixed moment from HRIA_NOW for one command;
/// a server lives across many commands, so the file is read again at every use, and a test that runs the command
/// line through a server writes each command's moment there before running it. An empty or missing file is the
/// system's clock. Only whoever starts the server sets it (it is the server's own environment, never a request's),
/// and that person decides the server's clock anyway. Request signatures, nonces and rate limits always use the
/// system's clock: they are about when a request was really made.
enum ServerClock {
    static let file: String? = ProcessInfo.processInfo.environment["HRIA_NOW_FILE"].flatMap { $0.isEmpty ? nil : $0 }

    /// Now, as the server decides and records.
    static func now() -> Date {
        guard let file, let data = FileManager.default.contents(atPath: file) else { return Date() }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // A file that says nothing usable is the system's clock, as an unset HRIA_NOW is; a test that wrote a
        // moment sees it in every event it records, so a misread cannot pass unnoticed.
        guard !text.isEmpty, let date = Timestamp.parse(text) else { return Date() }
        return date
    }

    /// The clock events are recorded with (read under the assessment's lock, as `Clock.system` is).
    static let recording = Clock { now() }
}
