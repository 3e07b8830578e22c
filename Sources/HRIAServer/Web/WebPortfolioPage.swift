import Foundation
import HRIAKit
import Hummingbird

/// The portfolio: every assessment that verifies, with `hria list`'s filters, drawn as charts (open assessments by
/// stage, by risk tier, overdue, decisions by month) with the table beneath. Each chart is an inline SVG that
/// carries its numbers in words too, so a screen reader hears what a sighted reader sees.
extension HRIAServer {
    func addWebPortfolio(to web: RouterGroup<HRIARequestContext>) {
        web.get { request, context in
            let query = try ReadQuery(request, takes: ["stage", "tier", "outcome", "overdue", "sort"])
            let order = try query.choice("sort", among: ListQuery.Sort.allCases.map(\.rawValue), fallback: ListQuery.Sort.id.rawValue)
            guard let sort = ListQuery.Sort(rawValue: order) else { throw Problem.badInput("sort \(order) is not known") }
            let filter = WebPortfolioPage.Filter(stage: query.value("stage").flatMap { $0.isEmpty ? nil : $0 },
                                                 tier: query.value("tier").flatMap { $0.isEmpty ? nil : $0 },
                                                 outcome: query.value("outcome").flatMap { $0.isEmpty ? nil : $0 },
                                                 overdue: query.value("overdue") == "true", sort: sort)
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let now = ServerClock.now()
                let (summaries, damaged, vocabularies) = try workspace.summaries()
                let all = try ListQuery().rows(summaries, vocabularies: vocabularies.values, now: now)
                let rows = try ListQuery(stage: filter.stage, tier: filter.tier, outcome: filter.outcome, overdueOnly: filter.overdue, sort: filter.sort)
                    .rows(summaries, vocabularies: vocabularies.values, now: now)
                let decided = summaries.compactMap { s in s.outcome.map { (outcome: $0, day: s.stageEnteredAt) } }
                let page = WebPortfolioPage(all: all, rows: rows, decided: decided, damaged: damaged, filter: filter,
                                            organisation: workspace.configuration.organisation)
                return Response.page(HTML.page(title: "Portfolio", body: page.render(), viewer: context.signer, csrf: context.session?.csrf,
                                               current: "portfolio"))
            }
        }
    }
}

struct WebPortfolioPage {
    struct Filter {
        var stage: String?
        var tier: String?
        var outcome: String?
        var overdue: Bool
        var sort: ListQuery.Sort
    }

    var all: [ListReport.Row]
    var rows: [ListReport.Row]
    var decided: [(outcome: String, day: Date)]
    var damaged: [(id: String, problem: String)]
    var filter: Filter
    var organisation: String

    func render() -> String {
        let e = HTML.escape
        var out = "<h1>Portfolio</h1>\n<p class=\"meta\">\(e(organisation)) · \(all.count) assessment\(all.count == 1 ? "" : "s")"
        let open = all.filter { $0.outcome == nil }
        out += ", \(open.count) open, \(all.filter(\.anythingOverdue).count) with something overdue</p>\n"
        if !damaged.isEmpty {
            out += "<div class=\"notice bad\" role=\"alert\"><p>Left out because they do not verify: "
                + damaged.map { "<strong>\(e($0.id))</strong> (\(e($0.problem)))" }.joined(separator: "; ") + ". Run <code>hria verify</code> on them.</p></div>\n"
        }
        out += "<div class=\"cards\">\n"
        out += card("chart-stage", "Open assessments by stage", counts(open.map(\.stage)))
        out += card("chart-tier", "Open assessments by risk tier", counts(open.map(\.tier)), tiers: true)
        out += card("chart-overdue", "Overdue", [("stage overdue", open.filter(\.overdue).count),
                                                  ("open items overdue", all.filter { $0.overdueItems > 0 }.count),
                                                  ("on time", open.filter { !$0.anythingOverdue }.count)], overdue: true)
        out += card("chart-decisions", "Decisions by month", decisionsByMonth())
        out += "</div>\n"
        out += filters()
        out += table()
        return out
    }

    private func counts(_ values: [String]) -> [(String, Int)] {
        Dictionary(grouping: values, by: { $0 }).map { ($0.key, $0.value.count) }.sorted { $0.0 < $1.0 }
    }

    private func decisionsByMonth() -> [(String, Int)] {
        let months = decided.map { String(Timestamp.format($0.day).prefix(7)) }
        return counts(months)
    }

    /// A horizontal bar chart, its numbers also in words (the SVG's title and description) and in a list.
    private func card(_ id: String, _ title: String, _ data: [(String, Int)], tiers: Bool = false, overdue: Bool = false) -> String {
        let e = HTML.escape
        var out = "<section class=\"card\" aria-labelledby=\"\(id)-title\">\n<h2 id=\"\(id)-title\">\(e(title))</h2>\n"
        guard !data.isEmpty, data.contains(where: { $0.1 > 0 }) else { return out + "<p>None.</p>\n</section>\n" }
        let words = data.map { "\($0.0): \($0.1)" }.joined(separator: ", ")
        let most = max(1, data.map(\.1).max() ?? 1)
        let barHeight = 22.0, labelWidth = 150.0, chartWidth = 140.0
        let height = Double(data.count) * (barHeight + 6) + 6
        out += "<figure><svg class=\"chart\" viewBox=\"0 0 \(Int(labelWidth + chartWidth + 40)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(id)-svg-title \(id)-svg-desc\">"
        out += "<title id=\"\(id)-svg-title\">\(e(title))</title><desc id=\"\(id)-svg-desc\">\(e(words))</desc>"
        for (index, (label, count)) in data.enumerated() {
            let y = 6 + Double(index) * (barHeight + 6)
            let width = max(2, chartWidth * Double(count) / Double(most))
            var kind = "bar"
            if tiers { kind += " tier-" + (label == "-" ? "none" : label.lowercased().filter { $0.isLetter || $0 == "-" }) }
            if overdue && label != "on time" { kind += " overdue" }
            let shown = label.count > 22 ? String(label.prefix(21)) + "…" : label
            out += "<text x=\"\(Int(labelWidth - 6))\" y=\"\(Int(y + 15))\" text-anchor=\"end\">\(e(shown))</text>"
            out += "<rect class=\"\(kind)\" x=\"\(Int(labelWidth))\" y=\"\(Int(y))\" width=\"\(Int(width))\" height=\"\(Int(barHeight))\"></rect>"
            out += "<text x=\"\(Int(labelWidth + width + 5))\" y=\"\(Int(y + 15))\">\(count)</text>"
        }
        out += "</svg><figcaption class=\"hint\">\(e(words))</figcaption></figure>\n</section>\n"
        return out
    }

    private func filters() -> String {
        let e = HTML.escape
        func options(_ name: String, _ values: [String], _ chosen: String?) -> String {
            var out = "<option value=\"\">any</option>"
            for value in values { out += "<option value=\"\(e(value))\"" + (value == chosen ? " selected" : "") + ">\(e(value))</option>" }
            return out
        }
        let stages = Set(all.map(\.stage)).sorted(), tiers = Set(all.map(\.tier)).filter { $0 != "-" }.sorted()
        let outcomes = Set(all.compactMap(\.outcome)).sorted()
        var out = "<h2 id=\"assessments\">Assessments</h2>\n<form method=\"get\" action=\"/web\" class=\"filters\" aria-label=\"Filter the assessments\">\n"
        out += "<div><label for=\"filter-stage\">Stage</label><select id=\"filter-stage\" name=\"stage\">\(options("stage", stages, filter.stage))</select></div>\n"
        out += "<div><label for=\"filter-tier\">Risk tier</label><select id=\"filter-tier\" name=\"tier\">\(options("tier", tiers, filter.tier))</select></div>\n"
        out += "<div><label for=\"filter-outcome\">Outcome</label><select id=\"filter-outcome\" name=\"outcome\">\(options("outcome", outcomes, filter.outcome))</select></div>\n"
        out += "<div><label for=\"filter-sort\">Order</label><select id=\"filter-sort\" name=\"sort\">"
        for sort in ListQuery.Sort.allCases { out += "<option value=\"\(sort.rawValue)\"" + (sort == filter.sort ? " selected" : "") + ">\(sort.rawValue)</option>" }
        out += "</select></div>\n<div><input type=\"checkbox\" id=\"filter-overdue\" name=\"overdue\" value=\"true\"" + (filter.overdue ? " checked" : "")
            + "> <label class=\"inline\" for=\"filter-overdue\">Overdue only</label></div>\n"
        out += "<div><button type=\"submit\">Show</button></div>\n</form>\n"
        return out
    }

    private func table() -> String {
        let e = HTML.escape
        guard !rows.isEmpty else { return "<p>No assessment matches.</p>\n" }
        var out = "<div class=\"table-wrap\"><table>\n<caption>\(rows.count) assessment\(rows.count == 1 ? "" : "s")</caption>\n<thead><tr>"
        for header in ["Assessment", "Partner", "Workflow", "Stage", "Risk tier", "Age (days)", "In stage (days)", "Overdue", "Outcome"] {
            out += "<th scope=\"col\">\(header)</th>"
        }
        out += "</tr></thead>\n<tbody>\n"
        for row in rows {
            out += "<tr><th scope=\"row\"><a href=\"/web/assessments/\(HTML.segment(row.id))\">\(e(row.id))</a></th><td>\(e(row.partner))</td>"
                + "<td>\(e(row.workflow))</td><td>\(e(row.stage))</td><td>\(e(row.tier))</td><td>\(row.ageDays)</td><td>\(row.daysInStage)</td><td>"
                + (row.overdue ? "<span class=\"badge bad\">stage</span> " : "") + (row.overdueItems > 0 ? "<span class=\"badge bad\">\(row.overdueItems) item\(row.overdueItems == 1 ? "" : "s")</span>" : "")
                + "</td><td>\(e(row.outcome ?? ""))</td></tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }
}
