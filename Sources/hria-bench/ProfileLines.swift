import ArgumentParser
import Foundation
@_spi(Benchmarks) import HRIAKit

extension BenchCommand {
    /// Times each per-line step of `verify` on its own over a log, on one core, so the breakdown in
    /// docs/PERFORMANCE.md can be reproduced.
    struct ProfileLines: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "profile-lines",
            abstract: "Time the per-line steps of verify (leaf hash, node hash, reading the event, the rules it meets alone) over a log file."
        )
        @Argument(help: "A log.jsonl file.") var log: String
        @Option(help: "How many passes over the file (the best is reported).") var passes: Int = 5

        /// The workflow.yaml beside the log, if there is one that loads.
        func workflowOfLog() throws -> Workflow? {
            let folder = URL(fileURLWithPath: log).deletingLastPathComponent()
            guard let bytes = try? PosixFileSystem().readAll(folder.appendingPathComponent("workflow.yaml").path) else { return nil }
            return WorkflowLoader.load(bytes: bytes, fileName: "workflow.yaml").workflow
        }

        func run() throws {
            // As the verifier's reader leaves them: each line preceded by a zero byte, the input of its leaf hash.
            var bytes = [UInt8(0)] + (try PosixFileSystem().readAll(log))
            let (lines, _) = EventLine.split(Array(bytes.dropFirst()))
            let ranges = lines.map { ($0.startIndex + 1)..<($0.endIndex + 1) }
            for range in ranges { bytes[range.lowerBound - 1] = 0x00 }
            func best(_ name: String, _ body: (UnsafeBufferPointer<UInt8>, Range<Int>) -> Int) {
                var fastest = Double.infinity
                var sink = 0
                for _ in 0..<passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    bytes.withUnsafeBufferPointer { all in
                        for range in ranges { sink &+= body(all, range) }
                    }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                let perLine = fastest / Double(max(1, ranges.count))
                print("\(name): \(String(format: "%.0f", perLine)) ns per line, \(String(format: "%.0f", Double(bytes.count) / fastest * 1e3)) MB/s (\(sink & 1))")
            }
            best("leaf hash (0x00 ‖ line, one call)") { all, range in
                Int(SHA256Hash.leaf(prefixed: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[(range.lowerBound - 1)..<range.upperBound]))).bytes[0])
            }
            var node = SHA256Hash.leaf(UnsafeRawBufferPointer(start: nil, count: 0))
            best("interior node hash") { _, _ in
                node = SHA256Hash.node(node, node)
                return 1
            }
            best("reading the typed event (the one decoder)") { all, range in
                (try? EventLine.decodeWithoutLine(UnsafeBufferPointer(rebasing: all[range])))?.seq ?? 0
            }
            best("reading the event and prev compared with a hash") { all, range in
                guard let event = try? EventLine.decodeWithoutLine(UnsafeBufferPointer(rebasing: all[range])) else { return 0 }
                return event.prev == node ? 1 : 0
            }
            let workflow = try workflowOfLog()
            let events = bytes.withUnsafeBufferPointer { all in
                ranges.compactMap { try? EventLine.decodeWithoutLine(UnsafeBufferPointer(rebasing: all[$0])) }
            }
            if let workflow {
                var fastest = Double.infinity
                var sink = 0
                for _ in 0..<passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    for event in events.dropFirst() where AssessmentHistory.checkAlone(event, workflow: workflow) == nil { sink += 1 }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                print("the rules an event meets alone: \(String(format: "%.0f", fastest / Double(max(1, events.count)))) ns per line (\(sink & 1))")
            }
            // The part verify runs in order on one core: admitting each event to the history after its own checks.
            if let workflow, let first = events.first, case .assessmentCreated(let created) = first.payload {
                var fastest = Double.infinity
                for _ in 0..<passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    guard var history = try? AssessmentHistory(first: first.draft, workflow: workflow, workflowSHA256: created.workflow.sha256) else { break }
                    for event in events.dropFirst() { try? history.admitChecked(event) }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                print("admitting the event to the history, in order: \(String(format: "%.0f", fastest / Double(max(1, events.count)))) ns per line")
            }
        }
    }
}
