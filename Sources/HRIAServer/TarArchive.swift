import Foundation
import HRIAKit

/// An uncompressed POSIX ustar archive (IEEE Std 1003.1, `pax` "ustar Interchange Format"), written in memory: how the
/// server hands over a public bundle, which `hria export --public` writes as a folder. Only what a bundle needs:
/// folders and regular files, ASCII paths, no links, no owners (uid and gid 0, no user or group names), so any tar
/// extracts it the same way and nothing of the server's machine leaks into it.
struct TarArchive {
    /// What cannot be put in a ustar header; a bundle written by hria never has it, so this is the server's error.
    struct Unrepresentable: Error, CustomStringConvertible {
        var description: String
    }

    private(set) var bytes: [UInt8] = []
    private var folders: Set<String> = []
    /// When every entry was made: the moment the bundle was exported.
    let modified: Int

    init(modified: Date) {
        self.modified = max(0, Int(modified.timeIntervalSince1970))
    }

    /// Adds a file at `path` (relative, `/`-separated), after an entry for each folder above it not yet added.
    mutating func add(file path: String, contents: [UInt8]) throws {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.hasPrefix("/"), !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
            throw Unrepresentable(description: "\(path) is not a relative path inside the bundle")
        }
        var folder = ""
        for part in parts.dropLast() {
            folder += part + "/"
            if folders.insert(folder).inserted {
                bytes += try header(name: folder, size: 0, mode: 0o755, type: UInt8(ascii: "5"))
            }
        }
        bytes += try header(name: path, size: contents.count, mode: 0o644, type: UInt8(ascii: "0"))
        bytes += contents
        // Each file's data is padded with zeros to a whole 512-byte block.
        bytes += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    /// The archive, ended as the format asks: two blocks of zeros.
    func finished() -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: 1024)
    }

    /// One 512-byte ustar header. A name longer than 100 bytes is split at a `/` into prefix (up to 155) and name.
    private func header(name path: String, size: Int, mode: Int, type: UInt8) throws -> [UInt8] {
        let utf8 = Array(path.utf8)
        guard utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw Unrepresentable(description: "\(DisplayText.escape(path)) is not a printable ASCII path")
        }
        var name = utf8, prefix: [UInt8] = []
        if utf8.count > 100 {
            // The split must leave the name at most 100 bytes and the prefix at most 155, at a slash (not kept).
            let slashes = utf8.indices.filter { utf8[$0] == UInt8(ascii: "/") && $0 <= 155 && utf8.count - $0 - 1 <= 100 && $0 + 1 < utf8.count }
            guard let at = slashes.last else { throw Unrepresentable(description: "\(path) is too long for a ustar header") }
            prefix = Array(utf8[..<at])
            name = Array(utf8[(at + 1)...])
        }
        // Sizes are 11 octal digits: up to 8 GiB - 1, far beyond what a bundle's file can be.
        guard size < 1 << 33 else { throw Unrepresentable(description: "\(path) is larger than a ustar entry can hold") }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ field: [UInt8], at offset: Int) { block.replaceSubrange(offset ..< offset + field.count, with: field) }
        func octal(_ value: Int, digits: Int) -> [UInt8] {
            let text = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, digits - text.count)) + text).utf8) + [0]
        }
        put(name, at: 0)
        put(octal(mode, digits: 7), at: 100)
        put(octal(0, digits: 7), at: 108) // uid
        put(octal(0, digits: 7), at: 116) // gid
        put(octal(size, digits: 11), at: 124)
        put(octal(modified, digits: 11), at: 136)
        put([UInt8](repeating: 0x20, count: 8), at: 148) // the checksum counts its own field as spaces
        block[156] = type
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(octal(0, digits: 7), at: 329) // devmajor
        put(octal(0, digits: 7), at: 337) // devminor
        put(prefix, at: 345)
        let checksum = block.reduce(0) { $0 + Int($1) }
        // Six octal digits, a NUL and a space, as the format's reference implementation writes it.
        put(octal(checksum, digits: 6) + [0x20], at: 148)
        return block
    }
}
