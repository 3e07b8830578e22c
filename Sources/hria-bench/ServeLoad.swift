import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

extension BenchCommand {
    /// Signed appends through a running `hria serve` from many clients at once, each its own thread with its own
    /// assessment, as the command line makes them (prepare, sign each line, commit): for the server's budgets.
    struct ServeLoad: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve-load",
            abstract: "Signed comments through hria serve from C clients at once, each on its own assessment; prints throughput and latency."
        )
        @Option(help: "The server, http://HOST:PORT.") var server: String
        @Option(name: .customLong("as"), help: "The acting person, whose key is in their key folder.") var actor: String
        @Option(help: "How many clients at once.") var clients: Int = 1
        @Option(help: "How many comments each client records.") var count: Int = 20
        @Option(help: "The assessments, comma-separated; client i uses assessment i modulo their number.") var assessments: String
        @Flag(help: "Print JSON instead of a line of text.") var json = false

        func run() throws {
            let ids = assessments.split(separator: ",").map(String.init)
            guard !ids.isEmpty, clients > 0, count > 0 else { throw ValidationError("give clients, count and assessments") }
            let client = ServerClient(base: server, person: actor,
                                      signing: try PersonSigning(person: actor, environment: ProcessInfo.processInfo.environment))
            let results = LatencyLog()
            let started = ContinuousClock.now
            // One thread per client (concurrentPerform would run them on as many threads as there are cores).
            let group = DispatchGroup()
            for index in 0 ..< clients {
                group.enter()
                Thread.detachNewThread {
                    let id = ids[index % ids.count]
                    for step in 0 ..< count {
                        let begun = ContinuousClock.now
                        do {
                            _ = try client.perform(id, .comment("load \(index) \(step)"))
                            results.add(seconds: Self.seconds(begun.duration(to: .now)))
                        } catch {
                            results.fail("\(id) client \(index) step \(step): \(error)")
                        }
                    }
                    group.leave()
                }
            }
            group.wait()
            let wall = Self.seconds(started.duration(to: .now))
            let (latencies, failures) = results.snapshot()
            let sorted = latencies.sorted()
            func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000 }
            let rate = Double(sorted.count) / wall
            if json {
                print(JSONValue.object(["clients": .int(clients), "appends": .int(sorted.count), "failures": .int(failures.count),
                                        "seconds": .string(String(format: "%.3f", wall)), "per_second": .string(String(format: "%.1f", rate)),
                                        "p50_ms": .string(String(format: "%.2f", percentile(0.5))),
                                        "p99_ms": .string(String(format: "%.2f", percentile(0.99)))]).rendered(pretty: false))
            } else {
                print(String(format: "%d clients: %d appends in %.2f s, %.1f/s, p50 %.2f ms, p99 %.2f ms, %d failures", clients, sorted.count,
                             wall, rate, percentile(0.5), percentile(0.99), failures.count))
            }
            for failure in failures.prefix(5) { FileHandle.standardError.write(Data("failed: \(failure)\n".utf8)) }
            if !failures.isEmpty { throw ExitCode(1) }
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
    }
}

/// Latencies and failures from many threads.
final class LatencyLog: @unchecked Sendable {
    // @unchecked: every member is reached only under `lock`.
    private let lock = NSLock()
    private var latencies: [Double] = []
    private var failures: [String] = []

    func add(seconds: Double) { lock.withLock { latencies.append(seconds) } }
    func fail(_ why: String) { lock.withLock { failures.append(why) } }
    func snapshot() -> ([Double], [String]) { lock.withLock { (latencies, failures) } }
}
