#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file as batches of complete lines, so a large log is streamed rather than held whole: two buffers of
/// about `chunkSize` bytes, whatever the file's size. While the lines of the current batch are being checked, the
/// next batch can be read into the other buffer (`readAhead`), on another thread.
///
/// Every line is preceded in its buffer by a zero byte (the first by a byte kept free for it, the others by the
/// previous line's line break, overwritten): 0x00 ‖ line, the input of its RFC 6962 leaf hash, is then one
/// contiguous run of bytes, hashed in one call.
final class LineBatchReader: @unchecked Sendable {
    // @unchecked: `readAhead` writes only `next` and the error, and reads only the unfinished end of `current`,
    // which no line range covers; `advance` must not run at the same time as `readAhead`.

    /// Bytes read into one buffer and the complete lines among them.
    struct Batch {
        var bytes: [UInt8] = []
        /// How many bytes of `bytes` hold data.
        var count = 0
        /// The complete lines, without their line breaks; the byte before each is 0x00.
        var lines: [Range<Int>] = []
        /// Where the unfinished last line starts (just after the last line break).
        var end = 0
    }

    private let source: any LogByteSource
    private let bufferSize: Int
    /// The batch being checked.
    private(set) var current = Batch()
    private var next = Batch()
    private var nextReady = false
    private var nextError: FileSystemError?

    /// Opens the file and reads the first batch.
    convenience init(fs: any FileSystem, path: String, chunkSize: Int) throws(FileSystemError) {
        try self.init(source: FileByteSource(fs: fs, path: path), chunkSize: chunkSize)
    }

    /// Reads the first batch of the stream.
    init(source: any LogByteSource, chunkSize: Int) throws(FileSystemError) {
        self.source = source
        // A small log gets buffers of its own size: zeroing megabytes for a short log would cost more than reading it.
        bufferSize = max(64, min(chunkSize, (source.sizeHint ?? chunkSize) + 1))
        // Every property is set, so if this read throws, deinit still runs and closes the file.
        try fill(&current, after: Batch())
    }

    /// Whether the current batch holds no complete line: the file has been read to its end.
    var finished: Bool { current.lines.isEmpty }

    /// The bytes after the last line break of the file (an interrupted write, if any); meaningful once `finished`.
    var tail: ArraySlice<UInt8> { current.bytes[current.end..<current.count] }

    /// Reads the batch that follows the current one into the other buffer.
    func readAhead() {
        guard !nextReady else { return }
        do {
            try fill(&next, after: current)
        } catch {
            nextError = error
        }
        nextReady = true
    }

    /// Makes the batch read ahead the current one (reading it now if `readAhead` has not).
    func advance() throws(FileSystemError) {
        readAhead()
        nextReady = false
        if let error = nextError { throw error }
        swap(&current, &next)
    }

    /// Fills `batch` with the unfinished line of `previous` and as much of the file as fits, reading on (and
    /// growing the buffer) until it holds a complete line or the file ends.
    private func fill(_ batch: inout Batch, after previous: Batch) throws(FileSystemError) {
        let carried = previous.count - previous.end
        let needed = max(bufferSize, 2 * carried) + 1
        if batch.bytes.count < needed { batch.bytes = [UInt8](repeating: 0, count: needed) }
        // Byte 0 is kept for the zero before the first line; the data starts at 1.
        batch.bytes[0] = 0x00
        var filled = 1 + carried
        if carried > 0 {
            batch.bytes.withUnsafeMutableBytes { destination in
                previous.bytes.withUnsafeBytes { source in
                    (destination.baseAddress! + 1).copyMemory(from: source.baseAddress! + previous.end, byteCount: carried)
                }
            }
        }
        batch.lines.removeAll(keepingCapacity: true)
        batch.end = 1
        var searchFrom = filled
        while batch.lines.isEmpty {
            if filled == batch.bytes.count { batch.bytes += [UInt8](repeating: 0, count: batch.bytes.count) }
            var failure: FileSystemError?
            let count = batch.bytes.withUnsafeMutableBytes { buffer -> Int in
                do throws(FileSystemError) {
                    return try source.read(into: buffer.baseAddress! + filled, count: buffer.count - filled)
                } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if count == 0 { break }
            filled += count
            batch.bytes.withUnsafeMutableBufferPointer { all in
                let base = all.baseAddress!
                var start = batch.end
                while searchFrom < filled, let found = memchr(base + searchFrom, 0x0A, filled - searchFrom) {
                    let lineEnd = UnsafePointer(base).distance(to: found.assumingMemoryBound(to: UInt8.self))
                    batch.lines.append(start..<lineEnd)
                    // The line break becomes the zero before the next line.
                    base[lineEnd] = 0x00
                    start = lineEnd + 1
                    searchFrom = start
                }
                batch.end = start
                searchFrom = filled
            }
        }
        batch.count = filled
    }
}
