import ArgumentParser
import Foundation
import HRIAKit

/// The `hria` command: parses arguments, calls HRIAKit, prints, and exits with the contract's codes.
@main
struct HRIACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hria",
        abstract: "Human-rights impact assessments as code: workflows, assessments and a verifiable audit trail.",
        version: "0.1.0",
        subcommands: [WorkflowCommand.self]
    )

    /// Runs the command; ArgumentParser's usage errors become exit 2 and our errors their own codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as HRIAError {
            Output.error(error)
            Foundation.exit(error.status.rawValue)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(ExitStatus.badInput.rawValue)
        }
    }
}

/// Options every command shares (DESIGN.md "Command-line contract").
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The workspace folder (default: the nearest folder upward holding hria.yaml).", valueName: "DIR"))
    var workspace: String?

    var currentDirectory: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true) }

    /// The workspace root if one is given or found; nil outside any workspace.
    func workspaceRoot() throws(HRIAError) -> URL? {
        try WorkspaceLocator.find(explicit: workspace, from: currentDirectory)
    }
}

/// Printing helpers: results to standard output, problems to standard error.
enum Output {
    static func error(_ error: HRIAError) {
        var text = "hria: \(error.message)\n"
        if let help = error.help { text += "  help: \(help)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func standardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
