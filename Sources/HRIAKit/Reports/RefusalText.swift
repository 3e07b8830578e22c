/// A refusal as the command line prints it: its summary and every blocker, each followed by the command that
/// supplies it when one is known, then the unset facts a transition reads, with theirs. The same words whether the
/// refusal came from this machine's engine or from a server's (which sends the parts as data).
public struct RefusalText: Sendable, Equatable {
    public var summary: String
    public var blockers: [(description: String, next: String?)]
    public var unsetFacts: [(name: String, command: String)]
    /// Whether a blocker is that the change would void sign-offs (then `--void-signoffs` is named).
    public var voidsSignoffs: Bool

    public init(summary: String, blockers: [(description: String, next: String?)], unsetFacts: [(name: String, command: String)],
                voidsSignoffs: Bool) {
        self.summary = summary
        self.blockers = blockers
        self.unsetFacts = unsetFacts
        self.voidsSignoffs = voidsSignoffs
    }

    public init(_ refusal: Refusal, next: [String?] = [], unsetFacts: [(name: String, command: String)] = []) {
        self.init(summary: refusal.summary,
                  blockers: refusal.blockers.enumerated().map { ($0.element.description, $0.offset < next.count ? next[$0.offset] : nil) },
                  unsetFacts: unsetFacts,
                  voidsSignoffs: refusal.blockers.contains { if case .wouldVoidSignoffs = $0 { true } else { false } })
    }

    public var text: String {
        var text = "hria: \(summary)" + (blockers.isEmpty && unsetFacts.isEmpty ? "\n" : ":\n")
        for blocker in blockers {
            text += "  - \(DisplayText.escape(blocker.description))\n"
            if let command = blocker.next { text += "      \(DisplayText.escape(command))\n" }
        }
        for fact in unsetFacts {
            text += "  - fact \(fact.name) is not set, and a transition reads it\n      \(DisplayText.escape(fact.command))\n"
        }
        if voidsSignoffs { text += "  help: give --void-signoffs to go ahead\n" }
        return text
    }

    public static func == (a: RefusalText, b: RefusalText) -> Bool {
        a.text == b.text
    }
}
