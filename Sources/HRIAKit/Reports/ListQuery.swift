import Foundation

/// What `hria list` asks of the portfolio: which assessments (by stage, risk tier, outcome, overdue) in which order.
public struct ListQuery: Sendable {
    public enum Sort: String, Sendable, CaseIterable {
        case id, partner, stage, tier, age, days = "days-in-stage", overdue
    }

    public var stage: String?
    public var tier: String?
    /// An outcome a terminal stage records, or "open" for assessments still running.
    public var outcome: String?
    public var overdueOnly: Bool
    public var sort: Sort

    public init(stage: String? = nil, tier: String? = nil, outcome: String? = nil, overdueOnly: Bool = false, sort: Sort = .id) {
        self.stage = stage
        self.tier = tier
        self.outcome = outcome
        self.overdueOnly = overdueOnly
        self.sort = sort
    }

    /// The rows that match, sorted. A filter that no workflow of these assessments could ever match is a typo, and
    /// is bad input naming the closest known value rather than an empty list.
    public func rows(_ summaries: [AssessmentSummary], vocabularies: some Sequence<WorkflowVocabulary>, now: Date) throws(HRIAError) -> [ListReport.Row] {
        var knownStages = Set<String>(), knownTiers = Set<String>(), knownOutcomes: Set<String> = ["open"]
        for vocabulary in vocabularies {
            knownStages.formUnion(vocabulary.stages)
            knownTiers.formUnion(vocabulary.tiers)
            knownOutcomes.formUnion(vocabulary.outcomes)
        }
        // With no assessment at all there is nothing to be a typo of.
        if !knownStages.isEmpty {
            for (given, known, what) in [(stage, knownStages, "a stage"), (tier, knownTiers, "a risk tier"), (outcome, knownOutcomes, "an outcome")] {
                guard let given, !known.contains(given) else { continue }
                let help = Suggestions.closest(to: given, in: known).map { "did you mean \"\($0)\"?" }
                    ?? (what == "a risk tier" && known.isEmpty ? "no workflow declares a fact with report: risk_tier" : nil)
                throw .badInput("no workflow of these assessments has \(what) \"\(given)\"", help: help)
            }
        }
        var rows = summaries.map { ListReport.row($0, now: now) }.filter { row in
            (stage.map { row.stage == $0 } ?? true)
                && (tier.map { row.tier == $0 } ?? true)
                && (outcome.map { (row.outcome ?? "open") == $0 } ?? true)
                && (!overdueOnly || row.anythingOverdue)
        }
        // Tiers sort as each workflow declares them, highest risk first; assessments without a tier last.
        rows.sort { a, b in
            switch sort {
            case .id: a.id < b.id
            case .partner: (a.partner, a.id) < (b.partner, b.id)
            case .stage: (a.stage, a.id) < (b.stage, b.id)
            case .tier: (a.tierRank ?? -1, b.id) > (b.tierRank ?? -1, a.id)
            case .age: (a.ageDays, b.id) > (b.ageDays, a.id)
            case .days: (a.daysInStage, b.id) > (b.daysInStage, a.id)
            case .overdue: (a.anythingOverdue ? 1 : 0, a.overdueItems, a.daysInStage, b.id) > (b.anythingOverdue ? 1 : 0, b.overdueItems, b.daysInStage, a.id)
            }
        }
        return rows
    }
}
