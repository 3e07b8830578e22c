import ArgumentParser
import Foundation
import HRIAKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace: hria.yaml, the standard workflows, assessments/ and a log key."
    )

    @Argument(help: ArgumentHelp("Where to create it (default: this folder).", valueName: "DIR"))
    var directory: String = "."
    @Option(help: ArgumentHelp("The organisation's name.", valueName: "TEXT"))
    var organisation: String = "Example Organisation"
    @Option(help: ArgumentHelp("The log origin, a name like example.org/hria.", valueName: "TEXT"))
    var origin: String = "example.org/hria"

    func run() throws {
        let root = Paths.absolute(directory, from: FileManager.default.currentDirectoryPath)
        let created = try WorkspaceInitializer.initialize(at: root, organisation: organisation, origin: origin)
        print("created a workspace in \(directory):")
        for item in created { print("  \(item)") }
        print("next: edit the people in hria.yaml, then start an assessment, for example:")
        print("  hria new example-partner --workflow partnership-hria --partner \"Example Co\" --as ana")
    }
}
