import Foundation

/// `hria init`: lays out a new workspace with the standard workflows; its roster is started by the first admin.
public enum WorkspaceInitializer {
    /// The text of a new hria.yaml. Who may act is not in it: the roster (roster/) says, changed only by signed
    /// events (`hria people`).
    public static func configurationText(organisation: String, origin: String, logKey: String) -> String {
        var out = """
        # hria workspace: the organisation and where its audit log's checkpoints come from.
        schema: \(WorkspaceConfiguration.schema)
        organisation: \(yamlQuoted(organisation))
        # Checkpoints of assessment ID are signed for the origin "<origin>/<ID>", the roster's for "<origin>/_roster".
        origin: \(yamlQuoted(origin))

        """
        out += "# Verifier key of the workspace's log key; anyone can check checkpoints with it. The private\n"
        out += "# key is in .hria/log.key and never leaves this machine.\n"
        out += "log_key: \(yamlQuoted(logKey))\n"
        out += """

        # Who may act, under which roles and with which keys, is the roster in roster/: see hria people list.
        # Signatures are required unless an admin records otherwise (hria people require-signatures).
        policies:
          # How long a command waits for another command writing to the same assessment.
          lock_timeout_seconds: 10

        """
        return out
    }

    static func yamlQuoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Creates the workspace folders and files; refuses a folder that already holds hria.yaml.
    public static func initialize(at root: String, organisation: String, origin: String, fs: any FileSystem = PosixFileSystem()) throws -> [String] {
        let configuration = Paths.join(root, WorkspaceLocator.configurationFile)
        if fs.fileExists(configuration) {
            throw HRIAError.badInput("\(root) is already a workspace: it has hria.yaml")
        }
        guard WorkspaceConfiguration.isOrigin(origin) else {
            throw HRIAError.badInput("\"\(origin)\" is not a usable log origin", help: "use a name like example.org/hria: no spaces, no +")
        }
        var created: [String] = []
        do {
            // The workspace folder may be several levels new; below it, each folder is made with its own permissions.
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            for folder in ["workflows", "assessments"] { try fs.makeDirectory(Paths.join(root, folder)) }
            try fs.makeDirectory(Paths.join(root, ".hria"), mode: 0o700)
            try fs.changePermissions(Paths.join(root, ".hria"), to: 0o700)
            // The log key is named after the origin; its private part never leaves .hria/.
            let keys = try NoteSigner.generate(name: origin)
            let keyPath = Paths.join(root, ".hria", "log.key")
            try DurableFile.write(Array((keys.privateKey + "\n").utf8), to: keyPath, fs: fs, mode: 0o600)
            created.append(".hria/log.key (private, mode 0600)")
            for (name, text) in StandardLibrary.files {
                let path = Paths.join(root, "workflows", name)
                if !fs.fileExists(path) {
                    try DurableFile.write(Array(text.utf8), to: path, fs: fs)
                    created.append("workflows/\(name)")
                }
            }
            let ignore = Paths.join(root, ".gitignore")
            if !fs.fileExists(ignore) {
                try DurableFile.write(Array("# private keys and caches never leave this machine\n.hria/\n# confidential plaintext of consultations and unpublished names: never published, never committed\nassessments/*/private/\nroster/private/\n# lock files are recreated on demand\nassessments/*/log.lock\nroster/log.lock\n".utf8), to: ignore, fs: fs)
                created.append(".gitignore")
            }
            let text = configurationText(organisation: organisation, origin: origin, logKey: keys.verifierKey)
            try DurableFile.write(Array(text.utf8), to: configuration, fs: fs)
            created.insert("hria.yaml", at: 0)
        } catch let error as HRIAError {
            throw error
        } catch {
            throw HRIAError(.internalError, "could not create the workspace: \(error)")
        }
        return created
    }
}
