/// One reason an action cannot happen now, in words a human-rights officer can act on.
public enum Blocker: Sendable, Hashable {
    case missingEvidence(requirement: String, type: String, have: Int, need: Int, stale: Int, maxAge: String?)
    case conditionUnknown(what: String, condition: String, reason: String)
    /// `voided`: approvals of this visit that a later change of evidence or facts voided, as "ravi, voided by #29".
    case missingSignoff(roles: [String], quorum: Int, approvedBy: [String], voided: [String] = [])
    /// The change would void approvals already given in this visit: it needs the asker's consent.
    case wouldVoidSignoffs(of: [String])
    case signoffRejected(by: String, comment: String?)
    case guardFalse(to: String, condition: String, read: [String])
    case guardUnknown(to: String, condition: String, reason: String)
    case maxVisits(stage: String, limit: Int)
    case wrongRole(actor: String, action: String, needs: [String], holds: [String])
    case separationOfDuties(actor: String, reason: String)
    case ended(outcome: String)
    case noSuchTransition(from: String, to: String, available: [String])
    /// A fact's `set_when:` condition does not hold with the new value in place (`reason` when it cannot be evaluated).
    case factCondition(fact: String, condition: String, read: [String], reason: String?)
    /// What the assessment has recorded (a stage it has been in, a fact, an item of evidence) does not fit the workflow
    /// it would move to, in words naming it.
    case incompatible(MigrationSubject, String)

    /// A stable id for programs, in the style of lint rule ids.
    public var rule: String {
        switch self {
        case .missingEvidence(_, _, _, _, let stale, _): stale > 0 ? "evidence-stale" : "evidence-missing"
        case .conditionUnknown: "condition-unknown"
        case .missingSignoff: "signoff-missing"
        case .wouldVoidSignoffs: "voids-signoffs"
        case .signoffRejected: "signoff-rejected"
        case .guardFalse: "guard-false"
        case .guardUnknown: "guard-unknown"
        case .maxVisits: "max-visits"
        case .wrongRole: "wrong-role"
        case .separationOfDuties: "separation-of-duties"
        case .ended: "assessment-ended"
        case .noSuchTransition: "no-transition"
        case .factCondition: "fact-condition"
        case .incompatible(let subject, _): "migration-\(subject.rawValue)"
        }
    }

    public var description: String {
        switch self {
        case .missingEvidence(let requirement, let type, let have, let need, let stale, let maxAge):
            var text = "evidence \(requirement): \(have) of \(need) \(type)\(need == 1 ? "" : " items") recorded"
            if stale > 0, let maxAge {
                text += "; \(stale) older \(stale == 1 ? "item no longer counts" : "items no longer count") (older than \(maxAge))"
            }
            return text
        case .conditionUnknown(let what, let condition, let reason):
            return "cannot tell whether \(what): \(reason) (condition: \(condition))"
        case .missingSignoff(let roles, let quorum, let approvedBy, let voided):
            let who = roles.count == 1 ? roles[0] : roles.dropLast().joined(separator: ", ") + " or " + roles.last!
            var parts: [String] = []
            if !approvedBy.isEmpty { parts.append("approved so far by " + approvedBy.joined(separator: ", ")) }
            if !voided.isEmpty { parts.append("approved by " + voided.joined(separator: "; ")) }
            let have = parts.isEmpty ? "none yet" : parts.joined(separator: "; ")
            return "sign-off: \(quorum - approvedBy.count) more approval\(quorum - approvedBy.count == 1 ? "" : "s") needed from \(who) (\(quorum) in all; \(have))"
        case .wouldVoidSignoffs(let people):
            return "it voids the approvals of " + people.joined(separator: ", ") + ": they must sign again"
        case .signoffRejected(let by, let comment):
            return "sign-off: rejected by \(by)" + (comment.map { ": \"\($0)\"" } ?? "")
        case .guardFalse(let to, let condition, let read):
            return "to \(to): the condition \(condition) is false" + (read.isEmpty ? "" : " (" + read.joined(separator: ", ") + ")")
        case .guardUnknown(let to, let condition, let reason):
            return "to \(to): the condition \(condition) cannot be evaluated: \(reason)"
        case .maxVisits(let stage, let limit):
            return "stage \(stage) has already been entered \(limit) time\(limit == 1 ? "" : "s"), its limit"
        case .wrongRole(let actor, let action, let needs, let holds):
            let need = needs.count == 1 ? needs[0] : needs.dropLast().joined(separator: ", ") + " or " + needs.last!
            return "\(actor) cannot \(action): that needs the role \(need), and \(actor) holds " + (holds.isEmpty ? "no role" : holds.joined(separator: ", "))
        case .separationOfDuties(let actor, let reason):
            return "\(actor) cannot sign off: \(reason) (separation of duties)"
        case .ended(let outcome):
            return "the assessment has ended with the outcome \(outcome)"
        case .factCondition(let fact, let condition, let read, let reason):
            if let reason { return "fact \(fact) may be set only when \(condition), which cannot be evaluated: \(reason)" }
            return "fact \(fact) may be set only when \(condition), which is false" + (read.isEmpty ? "" : " (" + read.joined(separator: ", ") + ")")
        case .incompatible(_, let problem):
            return problem
        case .noSuchTransition(let from, let to, let available):
            return "there is no transition from \(from) to \(to); from \(from) the assessment can go to " + available.joined(separator: ", ")
        }
    }
}

/// What a problem of a move to another workflow version is about: a stage (which `--map` can resolve), a fact or an
/// item of evidence.
public enum MigrationSubject: String, Sendable, Hashable {
    case stage, fact, evidence
}

/// A command the rules refuse, with every reason.
public struct Refusal: Error, Sendable {
    public var summary: String
    public var blockers: [Blocker]

    public init(_ summary: String, _ blockers: [Blocker]) {
        self.summary = summary
        self.blockers = blockers
    }
}
