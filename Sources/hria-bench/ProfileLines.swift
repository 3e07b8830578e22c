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
            // As the verifier's reader leaves them: each line preceded by a zero byte, the input of its leaf hash.
            var bytes = [UInt8(0)] + (try PosixFileSystem().readAll(log))
            let (lines, _) = LogLine.split(Array(bytes.dropFirst()))
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
                Int(TreeHash.leaf(prefixed: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: all[(range.lowerBound - 1)..<range.upperBound]))).bytes[0])
            }
            var node = TreeHash.leaf(UnsafeRawBufferPointer(start: nil, count: 0))
            best("interior node hash") { _, _ in
                node = TreeHash.node(node, node)
                return 1
            }
            best("top-level scan") { all, range in TopLevelLine.scan(UnsafeBufferPointer(rebasing: all[range]))?.seq ?? 0 }
            best("top-level scan and event type") { all, range in
                let line = UnsafeBufferPointer(rebasing: all[range])
                guard let type = TopLevelLine.scan(line)?.type else { return 0 }
                return EventType(bytes: UnsafeBufferPointer(rebasing: line[type])) == nil ? 0 : 1
            }
            best("top-level scan and prev compared with a hash") { all, range in
                let line = UnsafeBufferPointer(rebasing: all[range])
                guard let prev = TopLevelLine.scan(line)?.prev else { return 0 }
                return node.matchesHex(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: line[prev]))) ? 1 : 0
            }
        }
    }
}
