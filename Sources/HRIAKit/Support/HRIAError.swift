/// The exit codes of the command-line contract (docs/CLI.md, "Exit codes").
public enum ExitStatus: Int32, Sendable {
    case done = 0
    /// Refused by the rules: blocked advance, lint problems, wrong role.
    case refused = 1
    /// Usage or bad input: unknown id, malformed value, unreadable file.
    case badInput = 2
    /// Integrity failure: tampered or corrupt log.
    case integrity = 3
    /// Busy: the lock was not obtained in time.
    case busy = 4
    case internalError = 70
}

/// A failure that becomes a one-line message and an exit code; never a crash.
public struct HRIAError: Error, Sendable, CustomStringConvertible {
    public var status: ExitStatus
    public var message: String
    public var help: String?

    public init(_ status: ExitStatus, _ message: String, help: String? = nil) {
        self.status = status
        self.message = message
        self.help = help
    }

    public var description: String { message }

    public static func badInput(_ message: String, help: String? = nil) -> HRIAError { HRIAError(.badInput, message, help: help) }
}

extension Optional {
    /// The value, or an internal error saying what could not be read.
    func orThrow(_ message: String) throws(HRIAError) -> Wrapped {
        guard let self else { throw HRIAError(.internalError, message) }
        return self
    }
}
