import Foundation

/// Paths in HRIAKit are plain strings, as POSIX and the `FileSystem` seam take them: one path type in the
/// library. These helpers join and resolve them; a path a person gives is made absolute once, where it enters.
public enum Paths {
    /// `base/part/part…`, with exactly one slash between parts.
    public static func join(_ base: String, _ parts: String...) -> String {
        parts.reduce(base) { path, part in
            path.hasSuffix("/") ? path + part : path + "/" + part
        }
    }

    /// The absolute, standardised form of `path` (no `.`, `..` or repeated slashes), taken from `directory`
    /// when it is relative.
    public static func absolute(_ path: String, from directory: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: directory, isDirectory: true)).standardizedFileURL.path
    }

    /// The folder holding `path`.
    public static func parent(_ path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// The last component of `path`.
    public static func name(_ path: String) -> String {
        (path as NSString).lastPathComponent
    }
}
