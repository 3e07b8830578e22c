import ArgumentParser
import Foundation
import HRIAKit

/// Tools for measuring and stress-testing hria through the library, without one process per event.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hria-bench",
        abstract: "Benchmark and stress tools for hria.",
        subcommands: [Append.self]
    )
}

extension BenchCommand {
    /// Appends N comments one by one, each a full durable append; prints each acknowledged seq as it returns.
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append N comment events to an assessment, one durable append each (for crash and concurrency tests)."
        )
        @Option(help: "The workspace folder.") var workspace: String
        @Argument(help: "The assessment.") var id: String
        @Option(help: "How many events.") var count: Int = 1
        @Option(name: .customLong("as"), help: "The acting person.") var actor: String
        @Option(help: "Text prefix of each comment.") var text: String = "bench"

        func run() throws {
            var ws = try Workspace.open(root: URL(fileURLWithPath: workspace))
            if let step = ProcessInfo.processInfo.environment["HRIA_CRASH_AT"] { ws.crashAt = AppendStep(rawValue: step) }
            let person = try ws.person(actor)
            var random = SecureRandom()
            for i in 0..<count {
                let events = try ws.perform(id, command: .comment("\(text) \(i)"), actor: person, now: Date(), random: &random)
                for event in events {
                    // One line per acknowledged event, flushed at once so a killed process's output is exact.
                    FileHandle.standardOutput.write(Data("acked \(event.seq) \(text) \(i)\n".utf8))
                }
            }
        }
    }
}
