#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file someone names to hria (a workflow, evidence, a proof, a bundle's manifest, hria.yaml), read so that no
/// name can make a command wait or fail obscurely: it is opened without blocking, so a FIFO cannot hold the command
/// forever, and anything but a regular file is refused with a plain reason.
public struct InputFile: Sendable, Equatable {
    public var bytes: [UInt8]
    /// The file's permission bits, so that a copy is never made more readable than the original.
    public var permissions: UInt32

    public init(bytes: [UInt8], permissions: UInt32) {
        self.bytes = bytes
        self.permissions = permissions
    }

    /// Reads at most `limit + 1` bytes, so a caller sees that a file is too large without reading all of it.
    public static func read(_ path: String, displayName: String, limit: Int) throws(HRIAError) -> InputFile {
        func refuse(_ why: String) -> HRIAError { .badInput("cannot read \(displayName): \(why)") }
        guard !displayName.isEmpty, !path.isEmpty else {
            throw .badInput("a file name is empty", help: "give the path of a file")
        }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw refuse(reason(errno)) }
        defer { systemClose(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw refuse(reason(errno)) }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw refuse("it is a folder, not a file")
        case S_IFIFO: throw refuse("it is a pipe (FIFO), not a regular file")
        case S_IFCHR, S_IFBLK: throw refuse("it is a device, not a regular file")
        case S_IFSOCK: throw refuse("it is a socket, not a regular file")
        default: throw refuse("it is not a regular file")
        }
        // The size is only a hint (files under /proc say 0), so read until the end or one byte past the limit.
        let hint = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: max(64, min(limit + 1, hint + 1)))
        var filled = 0
        while filled < limit + 1 {
            if filled == bytes.count { bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count)) }
            let count = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw refuse(reason(errno))
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return InputFile(bytes: bytes, permissions: UInt32(info.st_mode) & 0o7777)
    }

    /// The system's reason in plain words, for the errors people meet; the C library's text for the rest.
    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT, ENOTDIR: return "no such file"
        case EACCES, EPERM: return "permission denied"
        case ELOOP: return "too many symbolic links"
        case ENXIO: return "it is a socket or device with nothing behind it, not a regular file"
        case EISDIR: return "it is a folder, not a file"
        case EIO: return "the system could not read it (input/output error)"
        case ENAMETOOLONG: return "the name is too long"
        default:
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
    }
}
