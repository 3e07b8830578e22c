#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file someone asks hria to write (`--output`): a report, a proof. Written in place (so `/dev/stdout` or a
/// named pipe work as a person would expect), created with the permissions given, which the umask can only narrow.
public enum OutputFile {
    /// `permissions` apply when the file is created; a file already there is made no wider than them.
    public static func write(_ bytes: [UInt8], to path: String, displayName: String, permissions: UInt32 = 0o644) throws(HRIAError) {
        func refuse(_ code: Int32) -> HRIAError {
            let text = String(cString: strerror(code))
            return .badInput("cannot write \(displayName): " + text.prefix(1).lowercased() + text.dropFirst())
        }
        guard !displayName.isEmpty, !path.isEmpty else { throw .badInput("a file name is empty", help: "give the path of a file") }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, mode_t(permissions))
        guard fd >= 0 else { throw refuse(errno) }
        defer { systemClose(fd) }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, UInt32(info.st_mode) & ~permissions & 0o777 != 0 {
            guard fchmod(fd, mode_t(UInt32(info.st_mode) & permissions & 0o777)) == 0 else { throw refuse(errno) }
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw refuse(errno)
            }
            offset += written
        }
    }
}
