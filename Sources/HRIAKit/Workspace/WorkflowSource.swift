import Foundation

/// Finds the workspace (the nearest folder upward holding `hria.yaml`) and resolves workflow names to files.
public enum WorkspaceLocator {
    public static let configurationFile = "hria.yaml"

    /// The workspace root: `explicit` if given (it must hold hria.yaml), else the nearest folder upward.
    public static func find(explicit: String?, from directory: String) throws(HRIAError) -> String? {
        if let explicit {
            let path = Paths.absolute(explicit, from: directory)
            guard FileManager.default.fileExists(atPath: Paths.join(path, configurationFile)) else {
                throw .badInput("\(explicit) is not a workspace: it has no \(configurationFile)",
                                help: "create one with: hria init \(explicit)")
            }
            return path
        }
        var current = Paths.absolute(".", from: directory)
        while true {
            if FileManager.default.fileExists(atPath: Paths.join(current, configurationFile)) { return current }
            let parent = Paths.parent(current)
            if parent == current || parent.isEmpty { return nil }
            current = parent
        }
    }
}

/// Where a workflow given as `NAME|FILE` lives.
public enum WorkflowSource {
    /// A path if the argument looks like one or names an existing file; otherwise `workflows/NAME.yaml` in the workspace.
    public static func resolve(_ argument: String, workspace: String?, currentDirectory: String) throws(HRIAError) -> (path: String, displayName: String) {
        let looksLikePath = argument.contains("/") || argument.hasSuffix(".yaml") || argument.hasSuffix(".yml")
        let direct = Paths.absolute(argument, from: currentDirectory)
        if looksLikePath || FileManager.default.fileExists(atPath: direct) {
            return (direct, argument)
        }
        guard let workspace else {
            throw .badInput("no workflow file \"\(argument)\" here, and no workspace (\(WorkspaceLocator.configurationFile)) in this folder or above",
                            help: "give the path of a workflow file, or run inside a workspace")
        }
        let candidate = Paths.join(workspace, "workflows", argument + ".yaml")
        guard FileManager.default.fileExists(atPath: candidate) else {
            let available = (try? FileManager.default.contentsOfDirectory(atPath: Paths.join(workspace, "workflows")))?
                .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw unknownWorkflow(argument, available: available)
        }
        return (candidate, "workflows/\(argument).yaml")
    }

    /// The error for a name workflows/ does not hold, with the closest of `available`; a server says the same.
    public static func unknownWorkflow(_ name: String, available: [String]) -> HRIAError {
        .badInput("unknown workflow \"\(name)\": there is no workflows/\(name).yaml in the workspace",
                  help: Suggestions.closest(to: name, in: available).map { "did you mean \"\($0)\"?" }
                      ?? (available.isEmpty ? nil : "available: " + available.joined(separator: ", ")))
    }

    /// The error for a workflow file that has errors, which show and graph refuse to describe; a server says the same.
    public static func hasErrors(_ displayName: String) -> HRIAError {
        HRIAError(.refused, "\(displayName) has errors; fix them first (hria workflow lint \(displayName))")
    }

    /// Reads a file's bytes, turning every failure into a clear bad-input error (see `InputFile`).
    public static func readBytes(_ path: String, displayName: String, limit: Int = WorkflowLoader.maximumFileSize) throws(HRIAError) -> [UInt8] {
        try InputFile.read(path, displayName: displayName, limit: limit).bytes
    }
}
