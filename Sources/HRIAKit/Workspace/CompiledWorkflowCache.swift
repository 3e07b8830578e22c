import Foundation

/// Compiled workflows in `.hria/cache/workflows/SHA256`, sealed like the state snapshots: one edited or written
/// by someone without the log key is not opened, and the workflow is compiled again from its file.
struct CompiledWorkflowCache: CompiledWorkflowStore {
    let folder: String
    let fs: any FileSystem
    let seal: CacheSeal

    private func path(_ sha256: String) -> String? {
        // The name is a file name only if it is a SHA-256 in lowercase hex.
        guard SHA256Hash(hex: sha256) != nil else { return nil }
        return Paths.join(folder, sha256)
    }

    func read(sha256: String) -> [UInt8]? {
        guard let path = path(sha256), let bytes = try? fs.readAll(path) else { return nil }
        return seal.open(bytes)
    }

    func write(sha256: String, _ bytes: [UInt8]) {
        guard let path = path(sha256) else { return }
        CacheSeal.writeBestEffort(seal.seal(bytes), to: path, folder: folder, fs: fs)
    }
}
