import ArgumentParser
import Foundation
import HRIAPostgres
import HRIAKit

/// Dynamic shell completion (`hria --generate-completion-script bash|zsh|fish`): assessment ids, workflow names,
/// requirement ids and people, read from the workspace the shell stands in (or the one `--workspace` names) at the
/// moment of completing. Outside a workspace, nothing is offered.
enum Completions {
    /// The workspace of the command line being completed.
    static func workspace(_ words: [String]) -> Workspace? {
        let explicit = words.firstIndex(of: "--workspace").flatMap { $0 + 1 < words.count ? words[$0 + 1] : nil }
        guard let root = try? WorkspaceLocator.find(explicit: explicit, from: FileManager.default.currentDirectoryPath) else { return nil }
        return try? Workspace.open(root: root, databases: PostgresStoreOpener())
    }

    static func matching(_ candidates: [String], _ prefix: String) -> [String] {
        candidates.filter { $0.hasPrefix(prefix) }
    }

    static let assessments = CompletionKind.custom { words, _, prefix in
        matching((try? workspace(words)?.assessmentIDs()) ?? [], prefix)
    }

    static let workflows = CompletionKind.custom { words, _, prefix in
        guard let workspace = workspace(words) else { return [] }
        let names = workspace.fs.listDirectory(workspace.workflowsFolder).filter { $0.hasSuffix(".yaml") }
        return matching(names.map { String($0.dropLast(5)) }.sorted(), prefix)
    }

    static let people = CompletionKind.custom { words, _, prefix in
        matching(((try? workspace(words)?.team()) ?? []).map(\.id), prefix)
    }

    /// The requirements of the assessment named on the line (its pinned workflow), else of every workflow here.
    static let requirements = CompletionKind.custom { words, _, prefix in
        guard let workspace = workspace(words) else { return [] }
        let ids = Set((try? workspace.assessmentIDs()) ?? [])
        if let id = words.first(where: ids.contains), let current = try? workspace.current(id) {
            return matching(current.workflow.stages.flatMap { $0.requirements.map(\.id) }, prefix)
        }
        return matching(workspace.requirementIDs(), prefix)
    }
}
