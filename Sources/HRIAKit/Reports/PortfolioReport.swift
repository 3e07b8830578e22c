import Foundation

/// `hria report --portfolio`: every assessment on one page, with counts by stage and by outcome.
public enum PortfolioReport {
    static func counts(_ rows: [ListReport.Row]) -> (byStage: [(String, Int)], byOutcome: [(String, Int)]) {
        var stages: [String: Int] = [:], outcomes: [String: Int] = [:]
        for row in rows {
            if let outcome = row.outcome { outcomes[outcome, default: 0] += 1 } else { stages[row.stage, default: 0] += 1 }
        }
        outcomes["open", default: 0] += 0
        return (stages.sorted { $0.key < $1.key }, outcomes.filter { $0.key != "open" || $0.value > 0 }.sorted { $0.key < $1.key })
    }

    static func cells(_ row: ListReport.Row) -> [String] {
        [row.id, row.partner, row.workflow, row.outcome == nil ? row.stage : "\(row.stage) (ended)", row.tier,
         "\(row.daysInStage)", row.overdue ? "overdue" : "", row.outcome ?? "open"]
    }

    static let headers = ["Assessment", "Partner", "Workflow", "Stage", "Tier", "Days in stage", "Overdue", "Decision"]

    /// What the portfolio says of who acted: whether acts must now be signed by the person who acts.
    static func signatures(_ required: Bool) -> String {
        required ? "Who acts: every act must now be signed by the person who acts, with their own key."
            : "Who acts: signatures are not required now, so an unsigned act names who the writer recorded, not who proved it."
    }

    public static func markdown(_ rows: [ListReport.Row], organisation: String, now: Date, signaturesRequired: Bool = true) -> String {
        let cell = DecisionReport.mdText
        var out = "# Portfolio of human-rights impact assessments\n\n\(DecisionReport.mdText(organisation)) · \(rows.count) assessment\(rows.count == 1 ? "" : "s") · generated \(StatusReport.day(now))\n\n"
        out += signatures(signaturesRequired) + "\n\n"
        let (byStage, byOutcome) = counts(rows)
        let open = rows.filter { $0.outcome == nil }
        out += "## Counts\n\n| Open, by stage | Number |\n|---|---|\n" + byStage.map { "| \(cell($0.0)) | \($0.1) |\n" }.joined()
        out += "| **open in all** | **\(open.count)** (\(open.filter(\.overdue).count) overdue) |\n\n"
        out += "| Ended, by outcome | Number |\n|---|---|\n" + byOutcome.map { "| \(cell($0.0)) | \($0.1) |\n" }.joined() + "\n"
        out += "## Assessments\n\n| " + headers.joined(separator: " | ") + " |\n|" + String(repeating: "---|", count: headers.count) + "\n"
        for row in rows { out += "| " + cells(row).map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    public static func html(_ rows: [ListReport.Row], organisation: String, now: Date, signaturesRequired: Bool = true) -> String {
        let e = DecisionReport.escape
        let (byStage, byOutcome) = counts(rows)
        let open = rows.filter { $0.outcome == nil }
        var body = "<header>\n<h1>Portfolio of human-rights impact assessments</h1>\n<p class=\"meta\">\(e(organisation)) · \(rows.count) assessment\(rows.count == 1 ? "" : "s") · generated \(StatusReport.day(now))</p>\n<p>\(e(signatures(signaturesRequired)))</p>\n</header>\n<main>\n"
        body += "<section aria-labelledby=\"counts\">\n<h2 id=\"counts\">Counts</h2>\n"
        body += "<table>\n<caption>Open assessments by stage (\(open.count) in all, \(open.filter(\.overdue).count) overdue)</caption>\n<thead><tr><th scope=\"col\">Stage</th><th scope=\"col\">Number</th></tr></thead>\n<tbody>\n"
        body += byStage.map { "<tr><th scope=\"row\">\(e($0.0))</th><td>\($0.1)</td></tr>\n" }.joined() + "</tbody>\n</table>\n"
        body += "<table>\n<caption>Ended assessments by outcome</caption>\n<thead><tr><th scope=\"col\">Outcome</th><th scope=\"col\">Number</th></tr></thead>\n<tbody>\n"
        body += byOutcome.map { "<tr><th scope=\"row\">\(e($0.0))</th><td>\($0.1)</td></tr>\n" }.joined() + "</tbody>\n</table>\n</section>\n"
        body += "<section aria-labelledby=\"all\">\n<h2 id=\"all\">Assessments</h2>\n<table>\n<caption>Every assessment</caption>\n<thead><tr>"
        body += headers.map { "<th scope=\"col\">\(e($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
        for row in rows {
            let c = cells(row)
            body += "<tr><th scope=\"row\">\(e(c[0]))</th>" + c.dropFirst().map { "<td>\(e($0))</td>" }.joined() + "</tr>\n"
        }
        body += "</tbody>\n</table>\n</section>\n</main>\n"
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<title>Portfolio of human-rights impact assessments</title>\n<style>\n\(DecisionReport.style)\n</style>\n</head>\n<body>\n\(body)</body>\n</html>\n"
    }
}

extension Workspace {
    /// `hria report --portfolio`, in Markdown or HTML: made only when every assessment verifies, since a row of one
    /// that does not would be read from no standing (and leaving it out would misstate the portfolio).
    public func portfolio(html: Bool, now: Date) throws(HRIAError) -> String {
        let (summaries, damaged, _) = try summaries()
        guard damaged.isEmpty else {
            throw HRIAError(.integrity, "the portfolio is not made while assessments do not verify: "
                            + damaged.map { "\($0.id) (\($0.problem))" }.joined(separator: "; "),
                            help: "hria verify " + damaged.map(\.id).joined(separator: " "))
        }
        let rows = summaries.map { ListReport.row($0, now: now) }
        let signed = try roster()?.roster.requireSignatures ?? configuration.requireSignatures
        return html ? PortfolioReport.html(rows, organisation: configuration.organisation, now: now, signaturesRequired: signed)
            : PortfolioReport.markdown(rows, organisation: configuration.organisation, now: now, signaturesRequired: signed)
    }
}
