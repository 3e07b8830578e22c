import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, with the operation, the path and the errno text.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var path: String
    public var code: Int32
    /// Said instead of the errno text when the call succeeded but what it found cannot be used.
    public var reason: String?

    public init(_ operation: String, _ path: String, code: Int32, reason: String? = nil) {
        self.operation = operation
        self.path = path
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(operation) \(path): \(reason ?? String(cString: strerror(code)))" }
}

/// The few file operations the log store needs, behind a protocol so tests can inject ENOSPC, EIO and
/// crashes at exact steps. Durability rules live in the store; this layer only does what it is told.
public protocol FileSystem: Sendable {
    func openForAppend(_ path: String) throws(FileSystemError) -> Int32
    func openForWriting(_ path: String, exclusive: Bool) throws(FileSystemError) -> Int32
    func openForReading(_ path: String) throws(FileSystemError) -> Int32
    func close(_ fd: Int32)
    /// Writes all bytes, looping over short writes; any error aborts.
    func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError)
    func fsync(_ fd: Int32, path: String) throws(FileSystemError)
    func truncate(_ fd: Int32, to size: Int, path: String) throws(FileSystemError)
    /// Takes an exclusive lock on an open file, waiting up to `timeout` seconds; false when it stayed busy.
    func lockExclusive(_ fd: Int32, timeout: Double) -> Bool
    func readAll(_ path: String) throws(FileSystemError) -> [UInt8]
    func rename(_ from: String, _ to: String) throws(FileSystemError)
    func link(_ from: String, _ to: String) throws(FileSystemError)
    func unlink(_ path: String)
    /// Makes a folder with the given permissions (a folder already there is left as it is).
    func makeDirectory(_ path: String, mode: mode_t) throws(FileSystemError)
    func fsyncDirectory(_ path: String) throws(FileSystemError)
    func fileExists(_ path: String) -> Bool
    func listDirectory(_ path: String) -> [String]

    // Below, what every conformer gets from POSIX unless it says otherwise: part of the seam all the same, so a
    // test can fail or watch any of them.

    /// The file's size, inode and change time, or nil when it cannot be read.
    func stamp(_ path: String) -> FileStamp?
    /// Reads from `offset` to the end (or `count` bytes), for picking up a log where a previous read stopped.
    func readFrom(_ path: String, offset: Int, count: Int?) throws -> [UInt8]
    /// The permission bits of a file or folder, or nil when it cannot be read.
    func permissions(_ path: String) -> mode_t?
    func changePermissions(_ path: String, to mode: mode_t) throws(FileSystemError)
    func changePermissions(_ fd: Int32, to mode: mode_t, path: String) throws(FileSystemError)
    /// Removes a file or a folder with everything in it, as far as it can: for staging folders nobody will use.
    func removeTree(_ path: String)
}

/// Whether a write must survive a crash (the log, checkpoints, evidence, keys) or only saves work (caches: a lost
/// or torn cache file fails its seal and is rebuilt).
public enum Durability: Sendable {
    case durable
    case cacheOnly
}

/// What the kernel says about a file's last change: any write, by anyone, changes the change time (ctime),
/// which no user can set back. Matching stamps mean nothing touched the file in between.
public struct FileStamp: Sendable, Codable, Equatable {
    public var size: Int
    public var inode: UInt64
    public var changeSeconds: Int
    public var changeNanoseconds: Int
}

extension FileSystem {
    /// Makes a folder anyone may list (the public parts of a workspace).
    public func makeDirectory(_ path: String) throws(FileSystemError) { try makeDirectory(path, mode: 0o755) }

    /// A shared lock on an open file, as readers that must not see a change mid-way take it (an assessment's writer
    /// holds the roster's lock shared while it decides against the roster); false when `timeout` passes first.
    public func lockShared(_ fd: Int32, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: UInt32 = 1_000
        while true {
            if flock(fd, LOCK_SH | LOCK_NB) == 0 { return true }
            if errno != EWOULDBLOCK && errno != EINTR { return false }
            if Date() >= deadline { return false }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
    }

    public func stamp(_ path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let change = info.st_ctimespec
        #else
        let change = info.st_ctim
        #endif
        return FileStamp(size: Int(info.st_size), inode: UInt64(info.st_ino), changeSeconds: Int(change.tv_sec),
                         changeNanoseconds: Int(change.tv_nsec))
    }

    public func readFrom(_ path: String, offset: Int, count: Int?) throws -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else { throw FileSystemError("seek", path, code: errno) }
        var result: [UInt8] = []
        var info = stat()
        // Size the scratch buffer for what is left to read: usually a few new lines, not a megabyte.
        let left = count ?? (fstat(fd, &info) == 0 ? max(0, Int(info.st_size) - offset) + 1 : 1 << 20)
        var buffer = [UInt8](repeating: 0, count: max(64, min(left, 1 << 20)))
        while count.map({ result.count < $0 }) ?? true {
            let want = min(buffer.count, (count ?? Int.max) - result.count)
            let n = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, want) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path, code: errno)
            }
            if n == 0 { break }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    public func readFrom(_ path: String, offset: Int) throws -> [UInt8] { try readFrom(path, offset: offset, count: nil) }

    public func permissions(_ path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return mode_t(info.st_mode) & 0o7777
    }

    public func changePermissions(_ path: String, to mode: mode_t) throws(FileSystemError) {
        if chmod(path, mode) != 0 { throw FileSystemError("chmod", path, code: errno) }
    }

    public func changePermissions(_ fd: Int32, to mode: mode_t, path: String) throws(FileSystemError) {
        if fchmod(fd, mode) != 0 { throw FileSystemError("chmod", path, code: errno) }
    }

    public func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The real file system, through POSIX calls.
public struct PosixFileSystem: FileSystem {
    public init() {}

    public func openForAppend(_ path: String) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw FileSystemError("open", path, code: errno) }
        return fd
    }

    public func openForWriting(_ path: String, exclusive: Bool) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0o644)
        if fd < 0 { throw FileSystemError("create", path, code: errno) }
        return fd
    }

    /// Opens without blocking and accepts only a regular file: a FIFO or a device put in place of a log or a
    /// checkpoint would otherwise make a read wait forever.
    public func openForReading(_ path: String) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, code: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            systemClose(fd)
            throw FileSystemError("open", path, code: code)
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            systemClose(fd)
            throw FileSystemError("open", path, code: EINVAL, reason: "not a regular file")
        }
        return fd
    }

    public func close(_ fd: Int32) {
        systemClose(fd)
    }

    public func write(_ fd: Int32, _ bytes: [UInt8], path: String) throws(FileSystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path, code: errno)
            }
            if written == 0 { throw FileSystemError("write", path, code: EIO) }
            offset += written
        }
    }

    public func fsync(_ fd: Int32, path: String) throws(FileSystemError) {
        if systemFsync(fd) != 0 { throw FileSystemError("fsync", path, code: errno) }
    }

    public func truncate(_ fd: Int32, to size: Int, path: String) throws(FileSystemError) {
        if ftruncate(fd, off_t(size)) != 0 { throw FileSystemError("truncate", path, code: errno) }
    }

    public func lockExclusive(_ fd: Int32, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var delay: UInt32 = 1_000
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            if errno != EWOULDBLOCK && errno != EINTR { return false }
            if Date() >= deadline { return false }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
    }

    public func readAll(_ path: String) throws(FileSystemError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var info = stat()
        // Read straight into a result sized for the file (plus room to notice that it grew), rather than through a
        // large scratch buffer: most files read are a few hundred bytes, and zeroing megabytes would cost more.
        let expected = fstat(fd, &info) == 0 ? Int(info.st_size) + 1 : 4096
        var result = [UInt8](repeating: 0, count: max(expected, 64))
        var filled = 0
        while true {
            if filled == result.count { result += [UInt8](repeating: 0, count: result.count) }
            let count = result.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("read", path, code: errno)
            }
            if count == 0 {
                result.removeSubrange(filled...)
                return result
            }
            filled += count
        }
    }

    public func rename(_ from: String, _ to: String) throws(FileSystemError) {
        if systemRename(from, to) != 0 { throw FileSystemError("rename", from, code: errno) }
    }

    public func link(_ from: String, _ to: String) throws(FileSystemError) {
        if systemLink(from, to) != 0 { throw FileSystemError("link", to, code: errno) }
    }

    public func unlink(_ path: String) {
        systemUnlink(path)
    }

    public func makeDirectory(_ path: String, mode: mode_t) throws(FileSystemError) {
        if mkdir(path, mode) != 0, errno != EEXIST { throw FileSystemError("mkdir", path, code: errno) }
    }

    public func fsyncDirectory(_ path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw FileSystemError("open", path, code: errno) }
        defer { systemClose(fd) }
        if systemFsync(fd) != 0 { throw FileSystemError("fsync", path, code: errno) }
    }

    public func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The names in a folder (not `.` and `..`), read with readdir: `list` fingerprints thousands of folders.
    public func listDirectory(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}

/// Writes a whole file durably and atomically: temp file, write, fsync, rename, fsync the folder.
/// With `.cacheOnly`, the same without the two fsyncs: atomic (never half a file under the name) but not durable.
public enum DurableFile {
    public static func write(_ bytes: [UInt8], to path: String, fs: any FileSystem, mode: mode_t? = nil,
                             durability: Durability = .durable) throws(FileSystemError) {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = "\(directory)/.tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        let fd = try fs.openForWriting(temporary, exclusive: true)
        do {
            defer { fs.close(fd) }
            if let mode { try fs.changePermissions(fd, to: mode, path: temporary) }
            try fs.write(fd, bytes, path: temporary)
            if durability == .durable { try fs.fsync(fd, path: temporary) }
        } catch {
            fs.unlink(temporary)
            throw error
        }
        do {
            try fs.rename(temporary, path)
        } catch {
            fs.unlink(temporary)
            throw error
        }
        if durability == .durable { try fs.fsyncDirectory(directory) }
    }
}
