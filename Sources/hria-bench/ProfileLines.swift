import ArgumentParser
import Foundation
import HRIAKit

extension BenchCommand {
    /// Times each per-line step of `verify` on its own over a log, on one core, so the breakdown in
    /// docs/PERFORMANCE.md can be reproduced.
    struct ProfileLines: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "profile-lines",
            abstract: "Time the per-line steps of verify (leaf hash, node hash, line scan, prev check) over a log file."
        )
        @Argument(help: "A log.jsonl file.") var log: String
        @Option(help: "How many passes over the file (the best is reported).") var passes: Int = 5

        func run() throws {
            let bytes = try PosixFileSystem().readAll(log)
            let (lines, _) = LogLine.split(bytes)
            let ranges = lines.map { $0.indices }
            func best(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> Int) {
                var fastest = Double.infinity
                var sink = 0
                for _ in 0..<passes {
                    let start = DispatchTime.now().uptimeNanoseconds
                    bytes.withUnsafeBufferPointer { all in
                        for range in ranges { sink &+= body(UnsafeBufferPointer(rebasing: all[range])) }
                    }
                    fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start))
                }
                let perLine = fastest / Double(max(1, ranges.count))
                print("\(name): \(String(format: "%.0f", perLine)) ns per line, \(String(format: "%.0f", Double(bytes.count) / fastest * 1e3)) MB/s (\(sink & 1))")
            }
            best("leaf hash") { Int(TreeHash.leaf(UnsafeRawBufferPointer($0)).bytes[0]) }
            var node = TreeHash.leaf(UnsafeRawBufferPointer(start: nil, count: 0))
            best("node hash") { _ in
                node = TreeHash.node(node, node)
                return 1
            }
            best("top-level scan") { TopLevelLine.scan($0)?.seq ?? 0 }
            best("scan, type and time") { line in
                guard let top = TopLevelLine.scan(line), let type = top.type, let time = top.time else { return 0 }
                return (EventType(bytes: UnsafeBufferPointer(rebasing: line[type])) == nil ? 0 : 1)
                    + (Timestamp.isWellFormed(UnsafeBufferPointer(rebasing: line[time])) ? 1 : 0)
            }
            best("prev check") { line in
                guard let prev = TopLevelLine.scan(line)?.prev else { return 0 }
                return node.matchesHex(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[prev]))) ? 1 : 0
            }
        }
    }
}
