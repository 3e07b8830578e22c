import ArgumentParser
import Foundation
import HRIAKit

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a workspace: hria.yaml, the standard workflows, assessments/, a log key and a roster with its first admin.",
        discussion: "The first admin signs the roster's first event with their own SSH key: the one given with --key, else the one in "
            + "their key folder (${XDG_CONFIG_HOME:-~/.config}/hria/keys/ID), else a new one made there. Signatures are required "
            + "from the start."
    )

    @Argument(help: ArgumentHelp("Where to create it.", valueName: "DIR"))
    var directory: String = "."
    @Option(help: ArgumentHelp("The organisation's name.", valueName: "TEXT"))
    var organisation: String = "Example Organisation"
    @Option(help: ArgumentHelp("The log origin, a name like example.org/hria.", valueName: "TEXT"))
    var origin: String = "example.org/hria"
    @Option(help: ArgumentHelp("The id of the first admin, who keeps the roster.", valueName: "ID"))
    var admin: String
    @Option(help: ArgumentHelp("The first admin's name.", valueName: "TEXT"))
    var name: String
    @Option(help: ArgumentHelp("The first admin's title or function.", valueName: "TEXT"))
    var title: String?
    @Option(name: .customLong("role"), help: ArgumentHelp("Another role the first admin holds (repeat for several).", valueName: "ROLE"))
    var roles: [String] = []
    @Option(parsing: .unconditional, help: ArgumentHelp("The first admin's public key: an ssh-ed25519 line, or a .pub file.", valueName: "PUBKEY"))
    var key: String?
    @Flag(help: "Let reports and public bundles show the first admin's name and title.") var publishName = false
    @OptionGroup var global: LocalOptions

    func validate() throws {
        guard Person.isValidID(admin), admin != Person.systemID else {
            throw ValidationError("\"\(DisplayText.escape(admin))\" is not a usable person id: lower-case letters, digits, ., _ and -, starting with a letter")
        }
    }

    func run() throws {
        let root = Paths.absolute(directory, from: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: Paths.join(root, WorkspaceLocator.configurationFile)) {
            throw HRIAError.badInput("\(directory) is already a workspace: it has hria.yaml")
        }
        // The admin's key is settled before anything is created: without it the roster cannot start.
        let personal = PersonalKeys(environment: ProcessInfo.processInfo.environment)
        var madeKey = false
        let publicKey: String
        if let key {
            publicKey = try PublicKeyArgument.read(key, global: global)
        } else if let existing = try personal.key(of: admin) {
            publicKey = existing.publicKey.authorizedKey
        } else {
            publicKey = try personal.make(for: admin).publicKey.authorizedKey
            madeKey = true
        }
        guard personal.canSign(as: admin, with: publicKey, environment: ProcessInfo.processInfo.environment) else {
            throw HRIAError.badInput("\(admin) cannot sign with the key given: it is neither in ssh-agent nor in \(personal.folder)/\(admin)",
                                     help: "the first admin signs the roster's first event; load the key with ssh-add, or leave out --key")
        }
        let created = try WorkspaceInitializer.initialize(at: root, organisation: organisation, origin: origin)
        let events: [Event]
        do {
            let workspace = try Workspace.open(root: root)
            events = try workspace.changeRoster([.add(id: admin, name: name, title: title, roles: [Roster.adminRole] + roles, key: publicKey,
                                                      publishName: publishName)], actor: admin, clock: try global.clock())
        } catch {
            // Without its roster the workspace is not made: take back hria.yaml and roster/, so init can run again.
            try? FileManager.default.removeItem(atPath: Paths.join(root, "roster"))
            try? FileManager.default.removeItem(atPath: Paths.join(root, WorkspaceLocator.configurationFile))
            throw error
        }
        print("created a workspace in \(directory):")
        for item in created { print("  \(item)") }
        print("  roster/ (the roster: \(admin) is its first admin; every change is a signed event)")
        if madeKey { print("made an SSH key for \(admin) in \(personal.folder)/\(admin) (private, mode 0600): it never goes in the workspace") }
        for event in events { print(DisplayText.escape("recorded roster #\(event.seq): \(event.actor) \(RosterReport.sentence(event.payload))")) }
        print("next: add the people who act, each with the key they made (hria keys new ID on their machine), for example:")
        print("  hria people add amina --name \"Amina Diallo\" --role assessor --key \"$(cat amina.pub)\" --as \(admin)")
    }
}
