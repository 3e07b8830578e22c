/// The standard workflow library, as shipped in the repository's `workflows/` folder: `hria init` copies it into
/// a new workspace. The texts are compiled in (Generated/StandardLibrary+Generated.swift, written by
/// `scripts/embed-standard-library`), so the binary needs no resource bundle; `workflows/` stays the one source,
/// and a test fails when the generated file no longer matches it.
enum StandardLibrary {
    /// The text of the standard workflow with this file name (`partnership-hria.yaml`).
    public static func text(of name: String) -> String? { files.first { $0.name == name }?.text }
}
