import ArgumentParser
import Foundation
import HRIAKit

struct PeopleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "people", abstract: "The people of the workspace and their keys.",
                                                    subcommands: [AllowedSignersCommand.self])

    struct AllowedSignersCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "allowed-signers",
            abstract: "Print the people's SSH keys as an OpenSSH allowed_signers file.",
            discussion: "Check any event's signature with no hria code: ssh-keygen -Y verify -n hria-event -I PERSON -f FILE -s SIG, "
                + "given the event's line without its sig member.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let workspace = try global.openWorkspace()
            print(AllowedSigners.text(people: workspace.configuration.people, organisation: workspace.configuration.organisation),
                  terminator: "")
        }
    }
}
