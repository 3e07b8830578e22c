import ArgumentParser
import Foundation
import HRIAKit
import HRIAServer

struct PeopleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "people", abstract: "The roster: who may act, under which roles, with which keys.",
        discussion: "Every change is a signed event in roster/, made by someone holding the role admin (a person may also "
            + "set their own key). Assessment events name the roster state they were decided against, and verify checks them against it.",
        subcommands: [Add.self, Grant.self, Revoke.self, Key.self, Remove.self, List.self, Show.self, Import.self, RequireSignatures.self,
                      AllowedSignersCommand.self])

    /// Makes roster changes and prints each event recorded.
    static func change(_ commands: [RosterCommand], global: GlobalOptions, workspace: Workspace) throws {
        let events = try workspace.changeRoster(commands, actor: global.actor ?? ProcessInfo.processInfo.environment["HRIA_ACTOR"],
                                                clock: try global.clock())
        recorded(events)
    }

    /// Each roster event recorded, one line each.
    static func recorded(_ events: [Event]) {
        for event in events {
            print(DisplayText.escape("recorded roster #\(event.seq): \(event.actor) \(RosterReport.sentence(event.payload))"))
        }
    }

    /// A note for each role no workflow of the workspace declares (a typo, or a workflow still to come).
    static func noteUndeclared(_ roles: [String], workspace: Workspace) {
        note(undeclared: workspace.undeclaredRoles(roles))
    }

    static func note(undeclared roles: [String]) {
        for role in roles {
            Output.standardError("hria: note: no workflow in workflows/ declares the role \(DisplayText.escape(role))\n")
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a person to the roster (admins only).")
        @Argument(help: ArgumentHelp("Their id: lower-case letters, digits, ., _ and -.", valueName: "ID")) var id: String
        @Option(help: ArgumentHelp("Their name.", valueName: "TEXT")) var name: String
        @Option(help: ArgumentHelp("Their title or function.", valueName: "TEXT")) var title: String?
        @Option(name: .customLong("role"), help: ArgumentHelp("A role they hold (repeat for several).", valueName: "ROLE")) var roles: [String] = []
        @Option(parsing: .unconditional, help: ArgumentHelp("Their public key: an ssh-ed25519 line, or a .pub file.", valueName: "PUBKEY"))
        var key: String?
        @Flag(help: "Let reports and public bundles show their name and title (otherwise only their id is shown).") var publishName = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                let key = try key.map { k throws(HRIAError) in try PublicKeyArgument.read(k, global: global) }
                return try PeopleCommand.change(.change(.add(id: id, name: name, title: title, roles: roles, key: key, publishName: publishName)),
                                                through: server, notes: true)
            }
            let workspace = try global.openWorkspace()
            let key = try key.map { k throws(HRIAError) in try PublicKeyArgument.read(k, global: global) }
            try PeopleCommand.change([.add(id: id, name: name, title: title, roles: roles, key: key, publishName: publishName)],
                                     global: global, workspace: workspace)
            PeopleCommand.noteUndeclared(roles, workspace: workspace)
        }
    }

    struct Grant: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a person a role (admins only).")
        @Argument(help: ArgumentHelp("The person.", valueName: "ID"), completion: Completions.people) var id: String
        @Argument(help: ArgumentHelp("The role.", valueName: "ROLE")) var role: String
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                return try PeopleCommand.change(.change(.grant(id: id, role: role, reason: reason)), through: server, notes: true)
            }
            let workspace = try global.openWorkspace()
            try PeopleCommand.change([.grant(id: id, role: role, reason: reason)], global: global, workspace: workspace)
            PeopleCommand.noteUndeclared([role], workspace: workspace)
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a role from a person (admins only); their earlier acts stay valid.")
        @Argument(help: ArgumentHelp("The person.", valueName: "ID"), completion: Completions.people) var id: String
        @Argument(help: ArgumentHelp("The role.", valueName: "ROLE")) var role: String
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                return try PeopleCommand.change(.change(.revoke(id: id, role: role, reason: reason)), through: server, notes: false)
            }
            try PeopleCommand.change([.revoke(id: id, role: role, reason: reason)], global: global, workspace: try global.openWorkspace())
        }
    }

    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a person's key (an admin, or the person themselves); the old key stays valid for events before.")
        @Argument(help: ArgumentHelp("The person.", valueName: "ID"), completion: Completions.people) var id: String
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The new public key: an ssh-ed25519 line, or a .pub file.", valueName: "PUBKEY"))
        var key: [String] = []
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String?
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard !key.isEmpty else { throw ValidationError("give the new public key: an ssh-ed25519 line, or a .pub file") }
        }

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                let published = try PublicKeyArgument.read(key.joined(separator: " "), global: global)
                return try PeopleCommand.change(.change(.key(id: id, key: published, reason: reason)), through: server, notes: false)
            }
            let workspace = try global.openWorkspace()
            let published = try PublicKeyArgument.read(key.joined(separator: " "), global: global)
            try PeopleCommand.change([.key(id: id, key: published, reason: reason)], global: global, workspace: workspace)
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a person off the roster (admins only); their earlier acts stay valid.")
        @Argument(help: ArgumentHelp("The person.", valueName: "ID"), completion: Completions.people) var id: String
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                return try PeopleCommand.change(.change(.remove(id: id, reason: reason)), through: server, notes: false)
            }
            try PeopleCommand.change([.remove(id: id, reason: reason)], global: global, workspace: try global.openWorkspace())
        }
    }

    struct RequireSignatures: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "require-signatures",
            abstract: "Require every act to be signed (on), or stop requiring it (off); admins only, recorded in the roster.")
        @Argument(help: ArgumentHelp("on or off.", valueName: "on|off")) var setting: String
        @Option(help: ArgumentHelp("Why, for the record.", valueName: "TEXT")) var reason: String
        @OptionGroup var global: GlobalOptions

        func validate() throws {
            guard ["on", "off"].contains(setting) else { throw ValidationError("say on or off, not \"\(DisplayText.escape(setting))\"") }
        }

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                return try PeopleCommand.change(.change(.requireSignatures(setting == "on", reason: reason)), through: server, notes: false)
            }
            try PeopleCommand.change([.requireSignatures(setting == "on", reason: reason)], global: global, workspace: try global.openWorkspace())
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the people on the roster, their roles and keys.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var bundle: BundleOptions
        @OptionGroup var global: ReadOptions

        func run() throws {
            // The roster a public bundle carries, verified with the bundle: who was entitled to act, names as published.
            if let opened = try bundle.open(id: nil, context: global) {
                guard let roster = opened.roster else { throw HRIAError.badInput("the bundle carries no roster") }
                print(json ? RosterReport.json(roster, names: [:]).rendered() : RosterReport.list(roster, names: [:]),
                      terminator: json ? "\n" : "")
                return
            }
            if let server = try global.server() { return try run(through: server) }
            let workspace = try global.openWorkspace()
            let roster = try PeopleCommand.requireRoster(workspace)
            let names = workspace.confidentialNames()
            print(json ? RosterReport.json(roster.roster, names: names).rendered() : RosterReport.list(roster.roster, names: names),
                  terminator: json ? "\n" : "")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a person: roles, keys and the history of every change about them.")
        @Argument(help: ArgumentHelp("The person.", valueName: "ID"), completion: Completions.people) var id: String
        @OptionGroup var global: ReadOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) { return try run(through: server) }
            let workspace = try global.openWorkspace()
            let standing = try PeopleCommand.requireRoster(workspace)
            guard let member = standing.roster.member(id) else { throw RosterReport.unknownPerson(id) }
            print(DisplayText.escape(RosterReport.show(member, events: standing.events, name: workspace.confidentialNames()[id]), keepingLineBreaks: true),
                  terminator: "")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring hria.yaml's people: block into the roster once, as signed events by an admin.",
            discussion: "Each person is added with their roles and key; someone already on the roster gets the roles they lack. "
                + "A require_signatures: false in hria.yaml is recorded as a policy event. Afterwards hria.yaml's people: block is no "
                + "longer read: remove it.")
        @Flag(help: "Let reports and public bundles show the imported names.") var publishNames = false
        @Option(help: ArgumentHelp("In a workspace without a roster, the name of the first admin (--as), when hria.yaml does not list them.",
                                   valueName: "TEXT"))
        var name: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) {
                // Decided where hria.yaml is: the server reads its people: block, and the roster as it stands.
                try PeopleCommand.change(.importPeople(publishNames: publishNames, name: name), through: server, notes: false)
                print("imported; hria.yaml's people: block is no longer read: remove it")
                return
            }
            let workspace = try global.openWorkspace()
            let roster = try workspace.roster()?.roster ?? Roster()
            let acting = global.actor ?? ProcessInfo.processInfo.environment["HRIA_ACTOR"]
            let commands = try workspace.importCommands(roster: roster, publishNames: publishNames,
                                                        firstAdmin: roster.size == 0 ? acting.map { ($0, name) } : nil)
            guard !commands.isEmpty else { throw Workspace.nothingToImport }
            try PeopleCommand.change(commands, global: global, workspace: workspace)
            print("imported; hria.yaml's people: block is no longer read: remove it")
        }
    }

    static func requireRoster(_ workspace: Workspace) throws(HRIAError) -> RosterLog.Standing {
        guard let standing = try workspace.roster() else { throw Workspace.noRosterYet }
        return standing
    }

    struct AllowedSignersCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "allowed-signers",
            abstract: "Print the people's SSH keys as an OpenSSH allowed_signers file.",
            discussion: "Check any event's signature with no hria code: ssh-keygen -Y verify -n hria-event -I PERSON -f FILE -s SIG, "
                + "given the event's line without its sig member.")
        @OptionGroup var global: ReadOptions

        func run() throws {
            if let server = try ServerClient.fromEnvironment(actor: global.actor) { return try run(through: server) }
            print(try global.openWorkspace().allowedSigners(), terminator: "")
        }
    }
}

/// A public key given on the command line: an `ssh-ed25519 AAAA… [comment]` line, or the path of a `.pub` file
/// holding one; kept as `ssh-ed25519 AAAA…` without the comment.
enum PublicKeyArgument {
    static func read(_ text: String, global: some CommandContext) throws(HRIAError) -> String {
        var line = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !line.hasPrefix("ssh-") {
            let path = global.absolute(line)
            guard FileManager.default.fileExists(atPath: path) else {
                throw .badInput("\"\(DisplayText.escape(text))\" is neither an ssh-ed25519 key nor a file holding one")
            }
            line = String(decoding: try InputFile.read(path, displayName: text, limit: 16 * 1024).bytes, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        do {
            return try SSHPublicKey(authorizedKey: line).authorizedKey
        } catch {
            throw .badInput("\"\(DisplayText.escape(String(text.prefix(80))))\" is not a usable ssh-ed25519 public key: \(error)")
        }
    }
}
