import Foundation
import Testing
@testable import HRIAKit
import HRIATestSupport

@Suite("Line batch reader")
struct LineBatchReaderTests {
    /// Reads a file through the reader (reading ahead as verify does, or not) and collects its lines and tail.
    private func read(_ bytes: [UInt8], chunkSize: Int, readAhead: Bool) throws -> (lines: [[UInt8]], tail: [UInt8]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hria-reader-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let reader = try LineBatchReader(fs: PosixFileSystem(), path: path, chunkSize: chunkSize)
        var lines: [[UInt8]] = []
        while !reader.finished {
            if readAhead { reader.readAhead() }
            for range in reader.current.lines {
                // The byte before every line is the zero of its leaf hash's input.
                #expect(range.lowerBound >= 1 && reader.current.bytes[range.lowerBound - 1] == 0x00)
                lines.append(Array(reader.current.bytes[range]))
            }
            try reader.advance()
        }
        return (lines, Array(reader.tail))
    }

    @Test("every file, read in any chunk size, gives the lines and tail LogLine.split gives")
    func matchesSplit() throws {
        var generator = SplitMix64(seed: 0x7265_6164)
        var files: [[UInt8]] = [[], [0x0A], [0x0A, 0x0A], Array("no line break".utf8), Array("one\n".utf8),
                                Array(repeating: UInt8(ascii: "x"), count: 300) + [0x0A] + Array("tail".utf8)]
        for _ in 0..<40 {
            files.append((0..<Int.random(in: 0...2000, using: &generator)).map { _ in
                Int.random(in: 0..<12, using: &generator) == 0 ? 0x0A : UInt8.random(in: 0x20...0x7E, using: &generator)
            })
        }
        for file in files {
            let expected = EventLine.split(file)
            for chunkSize in [1, 7, 64, 100, 4096] {
                for readAhead in [false, true] {
                    let got = try read(file, chunkSize: chunkSize, readAhead: readAhead)
                    #expect(got.lines == expected.lines.map(Array.init), "chunk \(chunkSize), \(file.count) bytes")
                    #expect(got.tail == Array(expected.tail), "chunk \(chunkSize), \(file.count) bytes")
                }
            }
        }
    }

    @Test("a missing file is a typed error, not a crash")
    func missingFile() {
        #expect(throws: FileSystemError.self) {
            _ = try LineBatchReader(fs: PosixFileSystem(), path: "/nonexistent/hria/log.jsonl", chunkSize: 1024)
        }
    }
}
