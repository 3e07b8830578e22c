import Foundation
import HRIAKit

/// Reads a POSIX ustar archive as the server writes a public bundle (`TarArchive`) into a folder, for `hria verify`
/// through a server. The archive comes from a server that is not trusted, so it is read as hostile input: every
/// header's checksum is checked, only regular files and folders are taken, a path must stay inside the folder
/// (relative, no `..`, printable ASCII), and sizes must fit in what was received. Anything else is refused whole,
/// before anything is checked from it.
enum TarReader {
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    /// The files and folders of `archive`, by relative path (folders end in `/` and have no bytes).
    static func entries(_ archive: [UInt8], limit: Int = 100_000) throws(Refused) -> [(path: String, bytes: [UInt8])] {
        var found: [(String, [UInt8])] = []
        var offset = 0
        while offset + 512 <= archive.count {
            let header = Array(archive[offset ..< offset + 512])
            // Two blocks of zeros end the archive; one is enough for a reader.
            if header.allSatisfy({ $0 == 0 }) { return found }
            guard found.count < limit else { throw Refused(description: "the archive has more than \(limit) entries") }
            let stored = try number(header[148 ..< 156], "checksum")
            let sum = header.enumerated().reduce(0) { $0 + Int((148 ..< 156).contains($1.offset) ? 0x20 : $1.element) }
            guard stored == sum else { throw Refused(description: "the header at byte \(offset) has a wrong checksum") }
            let name = text(header[0 ..< 100]), prefix = text(header[345 ..< 500])
            let path = prefix.isEmpty ? name : prefix + "/" + name
            let size = try number(header[124 ..< 136], "size")
            let type = header[156]
            offset += 512
            guard size <= archive.count - offset else { throw Refused(description: "\(display(path)) is cut short") }
            switch type {
            case UInt8(ascii: "0"), 0:
                try check(path, folder: false)
                found.append((path, Array(archive[offset ..< offset + size])))
            case UInt8(ascii: "5"):
                try check(path, folder: true)
                found.append((path.hasSuffix("/") ? path : path + "/", []))
            default:
                // Links, devices and extended headers: a bundle never has them, and a link could point anywhere.
                throw Refused(description: "\(display(path)) is not a file or a folder (type \(Character(UnicodeScalar(type))))")
            }
            offset += (size + 511) / 512 * 512
        }
        throw Refused(description: "the archive ends without its end marker (it was cut short)")
    }

    /// Writes the archive's files and folders under `folder`, which must exist and be empty.
    static func extract(_ archive: [UInt8], into folder: String) throws(Refused) {
        let manager = FileManager.default
        for (path, bytes) in try entries(archive) {
            let target = folder + "/" + path
            do {
                if path.hasSuffix("/") {
                    try manager.createDirectory(atPath: target, withIntermediateDirectories: true)
                } else {
                    try manager.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                    guard manager.createFile(atPath: target, contents: Data(bytes)) else { throw Refused(description: "cannot write \(path)") }
                }
            } catch let refused as Refused {
                throw refused
            } catch {
                throw Refused(description: "cannot write \(display(path)): \(error)")
            }
        }
    }

    private static func check(_ path: String, folder: Bool) throws(Refused) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let inner = folder && path.hasSuffix("/") ? parts.dropLast() : parts[...]
        guard !path.isEmpty, !path.hasPrefix("/"), !inner.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }),
              path.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw Refused(description: "\(display(path)) is not a path inside the bundle")
        }
    }

    /// A NUL-terminated header field.
    private static func text(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal header field (digits, ended by NUL or space).
    private static func number(_ field: ArraySlice<UInt8>, _ what: String) throws(Refused) -> Int {
        let digits = field.drop { $0 == 0x20 }.prefix { $0 != 0 && $0 != 0x20 }
        guard !digits.isEmpty, digits.count <= 11, digits.allSatisfy({ (0x30 ... 0x37).contains($0) }),
              let value = Int(String(decoding: digits, as: UTF8.self), radix: 8) else {
            throw Refused(description: "a header's \(what) is not an octal number")
        }
        return value
    }

    private static func display(_ path: String) -> String { DisplayText.escape(path) }
}
