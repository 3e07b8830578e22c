import Foundation

/// `hria report ID --format md|html [--public]`: the decision record a reader needs, in Markdown (with a Mermaid
/// diagram of the path taken) or as one self-contained, printable, accessible HTML file.
public enum DecisionReport {
    static func day(_ date: Date) -> String { StatusReport.day(date) }
    static func minute(_ date: Date) -> String {
        String(Timestamp.format(date).replacingOccurrences(of: "T", with: " ").dropLast(4)) + " UTC"
    }

    /// The column heads of the severity × likelihood matrix, after the anchored scale (docs/RIGHTS.md).
    static let likelihoodWords = ["unlikely", "possible", "likely", "almost certain"]

    /// An item's number, and the updates that changed it since: "#41 (updated #52, #60)".
    static func itemNumber(_ row: DecisionRecord.ActionRow) -> String {
        "#\(row.seq)" + (row.updates.isEmpty ? "" : " (updated " + row.updates.map { "#\($0)" }.joined(separator: ", ") + ")")
    }

    static func words(_ name: String) -> String {
        let text = name.replacingOccurrences(of: "_", with: " ")
        return text.prefix(1).uppercased() + text.dropFirst()
    }

    // MARK: Markdown

    /// User text in Markdown: it renders as the words typed, never as markup (DisplayText.markdown).
    static func mdText(_ text: String) -> String { DisplayText.markdown(text) }

    /// Every field of an evidence item that may be shown: its public fields, in the order the type declares them,
    /// then its confidential fields (their values only in the internal version).
    static func fieldsText(_ item: DecisionRecord.EvidenceLine) -> String {
        (item.fields.map { "\(words($0.name)): \($0.value)" }
            + item.confidential.map { c in c.value.map { "\(words(c.name)) (confidential): \($0)" } ?? "\(words(c.name)) (confidential)" })
            .joined(separator: "; ")
    }

    public static func markdown(_ r: DecisionRecord) -> String {
        // Cells are Markdown already: user text in them went through `md`, which also escapes pipes and line breaks.
        func table(_ headers: [String], _ rows: [[String]]) -> String {
            var out = "| " + headers.joined(separator: " | ") + " |\n"
            out += "|" + String(repeating: "---|", count: headers.count) + "\n"
            for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
            return out
        }
        let md = mdText
        var out = "# Decision record: \(md(r.title ?? r.id))\n\n"
        out += "\(md(r.organisation)) · assessment `\(r.id)` · \(r.isPublic ? "public version" : "internal version: contains confidential values, do not publish")"
            + " · generated \(day(r.generated))\n\n"

        out += "## The partnership\n\n"
        var about: [[String]] = [["Partner", md(r.partner)], ["Assessment", md(r.id + (r.title.map { ": \($0)" } ?? ""))],
                                 ["Workflow", md("\(r.workflowID) version \(r.workflowVersion): \(r.workflowTitle)")],
                                 ["Workflow SHA-256", "`\(r.workflowSHA256)`"],
                                 ["Started", "\(day(r.created)) by \(md(r.createdBy))"]]
        if !r.workflowChanges.isEmpty {
            about.insert(["Workflow changes", r.workflowChanges.map { md($0.inWords(day: day)) }.joined(separator: "<br>")], at: 4)
        }
        about.append(r.outcome.map { ["Outcome", "**\(md($0))**" + (r.decisionTime.map { " on \(day($0))" } ?? "")] }
                     ?? ["Current stage", md(r.stage)])
        out += table(["", ""], about) + "\n"
        if let description = r.workflowDescription { out += "The workflow: \(md(description))\n\n" }

        out += "## Decision\n\n"
        if let outcome = r.outcome {
            out += "**Outcome: \(md(outcome)).**\n\n"
            for (name, value) in r.decisionFields { out += "- **\(md(words(name)))**: \(md(value))\n" }
            if !r.decisionFields.isEmpty { out += "\n" }
        } else {
            out += "No decision yet: the assessment is at stage `\(r.stage)`.\n\n"
        }
        if !r.facts.isEmpty {
            out += "Facts recorded: " + r.facts.map { md("\($0.name) = \($0.value)") }.joined(separator: "; ") + ".\n\n"
        }
        if let safety = r.safetyException {
            out += "### Safety exception\n\nPublishing everything would put people at risk, so a safety exception was recorded.\n\n"
            for item in safety {
                out += "- " + item.fields.map { md("\(words($0.name)): \($0.value)") }.joined(separator: "; ")
                    + (r.isPublic ? "; withheld: " + md(item.confidential.map(\.name).joined(separator: ", "))
                                  : "; " + item.confidential.map { md("\($0.name) (confidential): \($0.value ?? "")") }.joined(separator: "; "))
                    + "\n"
            }
            out += "\n"
        }

        out += "## Path taken\n\n```mermaid\n" + WorkflowDiagram.render(r.workflow, format: .mermaid, highlight: r.diagram) + "```\n\n"
        out += table(["#", "Stage", "Entered", "By", "Left"], r.timeline.enumerated().map { i, step in
            ["\(i + 1)", "\(md(step.title)) (`\(step.stage)`" + (step.visit > 1 ? ", visit \(step.visit)" : "") + ")",
             minute(step.entered), md(step.enteredBy), step.left.map(minute) ?? (step.terminal ? "end" : "current")]
        }) + "\n"

        if !r.impacts.isEmpty {
            out += "## Impact register\n\nSeverity is the highest of scale, scope and irremediability (1 negligible to 4 maximum) and is ranked before likelihood.\n\n"
            for impacts in r.impacts {
                out += "### \(md(impacts.title)) (`\(impacts.requirement)`)\n\n"
                out += table(["Ref", "Right", "Rights-holders", "Severity", "Likelihood", "Scale", "Scope", "Irremediability", "Other"],
                             impacts.rows.map { row in
                                 [md(row.ref), md(row.right), md(row.rightsHolders), "\(row.severity)", "\(row.likelihood)", "\(row.scale)",
                                  "\(row.scope)", "\(row.irremediability)", md(row.other.map { "\($0.name): \($0.value)" }.joined(separator: "; "))]
                             }) + "\n"
                out += "Severity × likelihood (`\(impacts.requirement)`):\n\n"
                out += table(["Severity \\ likelihood"] + DecisionReport.likelihoodWords.enumerated().map { "\($0.offset + 1) \($0.element)" },
                             (1...4).reversed().map { severity in
                                 ["**\(severity)**"] + (1...4).map { likelihood in
                                     md(impacts.refs(severity: severity, likelihood: likelihood).joined(separator: ", "))
                                 }
                             }) + "\n"
            }
        }
        if !r.actions.isEmpty {
            out += "## Mitigation plan and conditions\n\n"
            for plan in r.actions {
                out += "### \(md(plan.title)) (`\(plan.requirement)`)\n\n"
                out += table(["#"] + plan.columns.map { md(words($0)) }, plan.rows.map { row in
                    [DecisionReport.itemNumber(row)] + plan.columns.map { name in md(row.fields.first { $0.name == name }?.value ?? "") }
                }) + "\n"
            }
        }
        if !r.consultations.isEmpty {
            out += "## Consultations\n\n"
            out += r.isPublic
                ? "Who took part and what they said are confidential: the log holds only salted digests of them.\n\n"
                : "This internal version shows the confidential values. Never publish it.\n\n"
            let headers = r.consultations.first?.fields.map(\.name) ?? []
            out += table(["Requirement"] + headers.map { md(words($0)) } + [r.isPublic ? "Withheld" : "Confidential"],
                         r.consultations.map { item in
                             [md(item.requirement)] + headers.map { name in md(item.fields.first { $0.name == name }?.value ?? "") }
                                 + [md(item.confidential.map { c in c.value.map { "\(c.name): \($0)" } ?? c.name }.joined(separator: "; "))]
                         }) + "\n"
        }
        if !r.signoffs.isEmpty {
            out += "## Sign-offs\n\n"
            out += table(["Stage", "Who", "Role", "When", "Decision", "Comment"], r.signoffs.map { s in
                [md(s.stage), md(s.actor), md(s.roles.joined(separator: ", ")), minute(s.time),
                 (s.approve ? "approved" : "rejected") + (s.voided ? " (voided by a later change)" : ""), md(s.comment ?? "")]
            }) + "\n"
        }
        out += "## Evidence\n\n"
        out += table(["#", "Stage", "Requirement", "Type", "Recorded", "By", "Fields", "File", "Freshness"], r.evidence.map { e in
            ["\(e.seq)", md(e.stage), md(e.requirement), md(e.type), minute(e.recorded), md(e.actor), md(fieldsText(e)),
             e.file.map { "\(md($0.name)), sha256 `\($0.sha256)`" } ?? "", md(e.freshness ?? "")]
        }) + "\n"

        out += "## Verification\n\n"
        let v = r.verification
        out += "- Log: \(v.size) events; Merkle root (RFC 6962) `\(v.root)`\n"
        out += "- Latest signed checkpoint: " + (v.checkpointSize.map { "size \($0)" } ?? "none") + "\n"
        out += "- Who acted: " + (v.signaturesRequired ? "every event is signed by the person who acted"
            : "signatures were not required for every event (`require_signatures` was off), so an unsigned event names who the writer recorded, not who proved it") + "\n"
        out += "- Result of `hria verify`: " + (v.ok ? "**verified**" : "**FAILED**") + "\n"
        for problem in v.problems { out += "  - \(md(problem))\n" }
        if let text = v.checkpointText { out += "\n```\n\(text)```\n" }
        out += "\nAnyone can check this record: `hria verify --bundle DIR` on the published bundle, or compare the checkpoint above with one published earlier.\n"
        return out
    }

    // MARK: HTML

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    static let style = """
    :root { color: #1a1a1a; background: #ffffff; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5; }
    body { max-width: 64rem; margin: 2rem auto; padding: 0 1rem; }
    h1 { font-size: 1.8rem; margin-bottom: 0.2rem; }
    h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 2px solid #1e3a8a; padding-bottom: 0.2rem; }
    h3 { font-size: 1.1rem; }
    .meta { color: #374151; }
    .badge { display: inline-block; padding: 0.1rem 0.5rem; border-radius: 0.3rem; font-weight: 600; }
    .ok { background: #dcfce7; color: #14532d; }
    .bad { background: #fee2e2; color: #7f1d1d; }
    .warning { background: #fef3c7; color: #78350f; padding: 0.6rem 0.9rem; border-left: 4px solid #b45309; }
    table { border-collapse: collapse; width: 100%; margin: 0.8rem 0; font-size: 0.92rem; }
    caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
    th, td { border: 1px solid #9ca3af; padding: 0.35rem 0.5rem; vertical-align: top; text-align: left; }
    th { background: #e5e7eb; color: #111827; }
    code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.85rem; word-break: break-all; }
    pre { background: #f3f4f6; padding: 0.8rem; white-space: pre-wrap; }
    svg text { font-family: system-ui, sans-serif; }
    @media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
    """

    public static func html(_ r: DecisionRecord) -> String {
        func table(_ caption: String, _ headers: [String], _ rows: [[String]], rowHeader: Bool = false) -> String {
            var out = "<table>\n<caption>\(escape(caption))</caption>\n<thead><tr>"
            out += headers.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
            for row in rows {
                out += "<tr>" + row.enumerated().map { i, value in
                    i == 0 && rowHeader ? "<th scope=\"row\">\(value)</th>" : "<td>\(value)</td>"
                }.joined() + "</tr>\n"
            }
            return out + "</tbody>\n</table>\n"
        }
        let e = escape
        var body = "<header>\n<h1>Decision record: \(e(r.title ?? r.id))</h1>\n"
        body += "<p class=\"meta\">\(e(r.organisation)) · assessment <code>\(e(r.id))</code> · generated \(day(r.generated)) · "
            + (r.isPublic ? "public version" : "<strong>internal version: contains confidential values, do not publish</strong>") + "</p>\n</header>\n<main>\n"

        body += "<section aria-labelledby=\"partnership\">\n<h2 id=\"partnership\">The partnership</h2>\n"
        var about: [[String]] = [["Partner", e(r.partner)], ["Assessment", e(r.id + (r.title.map { ": \($0)" } ?? ""))],
                                 ["Workflow", e("\(r.workflowID) version \(r.workflowVersion): \(r.workflowTitle)")],
                                 ["Workflow SHA-256", "<code>\(e(r.workflowSHA256))</code>"], ["Started", e("\(day(r.created)) by \(r.createdBy)")]]
        if !r.workflowChanges.isEmpty {
            about.insert(["Workflow changes", r.workflowChanges.map { e($0.inWords(day: day)) }.joined(separator: "<br>")], at: 4)
        }
        about.append(r.outcome.map { ["Outcome", "<strong>\(e($0))</strong>" + (r.decisionTime.map { " on \(day($0))" } ?? "")] }
                     ?? ["Current stage", e(r.stage)])
        body += table("Summary", ["Item", "Value"], about.map { [e($0[0]), $0[1]] }, rowHeader: true)
        if let description = r.workflowDescription { body += "<p>The workflow: \(e(description))</p>\n" }
        body += "</section>\n"

        body += "<section aria-labelledby=\"decision\">\n<h2 id=\"decision\">Decision</h2>\n"
        if let outcome = r.outcome {
            body += "<p><strong>Outcome: \(e(outcome)).</strong></p>\n<dl>\n"
            for (name, value) in r.decisionFields { body += "<dt>\(e(words(name)))</dt><dd>\(e(value))</dd>\n" }
            body += "</dl>\n"
        } else {
            body += "<p>No decision yet: the assessment is at stage <code>\(e(r.stage))</code>.</p>\n"
        }
        if !r.facts.isEmpty {
            body += "<p>Facts recorded: " + r.facts.map { "\(e($0.name)) = \(e($0.value))" }.joined(separator: "; ") + ".</p>\n"
        }
        if let safety = r.safetyException {
            body += "<div class=\"warning\" role=\"note\"><h3>Safety exception</h3><p>Publishing everything would put people at risk, so a safety exception was recorded.</p><ul>\n"
            for item in safety {
                body += "<li>" + item.fields.map { "\(e(words($0.name))): \(e($0.value))" }.joined(separator: "; ")
                    + (r.isPublic ? "; withheld: " + e(item.confidential.map(\.name).joined(separator: ", "))
                                  : "; " + e(item.confidential.map { "\($0.name) (confidential): \($0.value ?? "")" }.joined(separator: "; ")))
                    + "</li>\n"
            }
            body += "</ul></div>\n"
        }
        body += "</section>\n"

        body += "<section aria-labelledby=\"path\">\n<h2 id=\"path\">Path taken</h2>\n" + pathSVG(r) + "\n"
        body += table("Stages in order", ["#", "Stage", "Entered", "By", "Left"], r.timeline.enumerated().map { i, step in
            ["\(i + 1)", e(step.title) + " (<code>\(e(step.stage))</code>" + (step.visit > 1 ? ", visit \(step.visit)" : "") + ")",
             e(minute(step.entered)), e(step.enteredBy), e(step.left.map(minute) ?? (step.terminal ? "end" : "current"))]
        }) + "</section>\n"

        if !r.impacts.isEmpty {
            body += "<section aria-labelledby=\"impacts\">\n<h2 id=\"impacts\">Impact register</h2>\n"
            body += "<p>Severity is the highest of scale, scope and irremediability (1 negligible to 4 maximum) and is ranked before likelihood.</p>\n"
            for impacts in r.impacts {
                body += table("\(impacts.title) (\(impacts.requirement)), most severe first",
                              ["Ref", "Right", "Rights-holders", "Severity", "Likelihood", "Scale", "Scope", "Irremediability", "Other"],
                              impacts.rows.map { row in
                                  [e(row.ref), e(row.right), e(row.rightsHolders), "\(row.severity)", "\(row.likelihood)", "\(row.scale)",
                                   "\(row.scope)", "\(row.irremediability)", e(row.other.map { "\($0.name): \($0.value)" }.joined(separator: "; "))]
                              }, rowHeader: true)
                body += table("\(impacts.title) (\(impacts.requirement)): severity × likelihood, the refs in each cell",
                              ["Severity \\ likelihood"] + DecisionReport.likelihoodWords.enumerated().map { "\($0.offset + 1) \($0.element)" },
                              (1...4).reversed().map { severity in
                                  ["\(severity)"] + (1...4).map { likelihood in
                                      e(impacts.refs(severity: severity, likelihood: likelihood).joined(separator: ", "))
                                  }
                              }, rowHeader: true)
            }
            body += "</section>\n"
        }
        if !r.actions.isEmpty {
            body += "<section aria-labelledby=\"plan\">\n<h2 id=\"plan\">Mitigation plan and conditions</h2>\n"
            for plan in r.actions {
                body += table("\(plan.title) (\(plan.requirement))", ["#"] + plan.columns.map(words), plan.rows.map { row in
                    [e(DecisionReport.itemNumber(row))] + plan.columns.map { name in e(row.fields.first { $0.name == name }?.value ?? "") }
                })
            }
            body += "</section>\n"
        }
        if !r.consultations.isEmpty {
            let headers = r.consultations.first?.fields.map(\.name) ?? []
            body += "<section aria-labelledby=\"consultations\">\n<h2 id=\"consultations\">Consultations</h2>\n<p>"
                + (r.isPublic ? "Who took part and what they said are confidential: the log holds only salted digests of them."
                              : "This internal version shows the confidential values. Never publish it.") + "</p>\n"
            body += table("Consultations held", ["Requirement"] + headers.map(words) + [r.isPublic ? "Withheld" : "Confidential"],
                          r.consultations.map { item in
                              [e(item.requirement)] + headers.map { name in e(item.fields.first { $0.name == name }?.value ?? "") }
                                  + [e(item.confidential.map { c in c.value.map { "\(c.name): \($0)" } ?? c.name }.joined(separator: "; "))]
                          }) + "</section>\n"
        }
        if !r.signoffs.isEmpty {
            body += "<section aria-labelledby=\"signoffs\">\n<h2 id=\"signoffs\">Sign-offs</h2>\n"
            body += table("Who signed what, when", ["Stage", "Who", "Role", "When", "Decision", "Comment"], r.signoffs.map { s in
                [e(s.stage), e(s.actor), e(s.roles.joined(separator: ", ")), e(minute(s.time)),
                 e((s.approve ? "approved" : "rejected") + (s.voided ? " (voided by a later change)" : "")), e(s.comment ?? "")]
            }) + "</section>\n"
        }
        body += "<section aria-labelledby=\"evidence\">\n<h2 id=\"evidence\">Evidence</h2>\n"
        body += table("Evidence recorded, with its fields, file digests and freshness",
                      ["#", "Stage", "Requirement", "Type", "Recorded", "By", "Fields", "File", "Freshness"],
                      r.evidence.map { item in
                          ["\(item.seq)", e(item.stage), e(item.requirement), e(item.type), e(minute(item.recorded)), e(item.actor), e(fieldsText(item)),
                           item.file.map { "\(e($0.name))<br><code>sha256 \(e($0.sha256))</code>" } ?? "", e(item.freshness ?? "")]
                      }, rowHeader: true) + "</section>\n"

        let v = r.verification
        body += "<section aria-labelledby=\"verification\">\n<h2 id=\"verification\">Verification</h2>\n<ul>\n"
        body += "<li>Log: \(v.size) events; Merkle root (RFC 6962) <code>\(e(v.root))</code></li>\n"
        body += "<li>Latest signed checkpoint: " + (v.checkpointSize.map { "size \($0)" } ?? "none") + "</li>\n"
        body += "<li>Who acted: " + (v.signaturesRequired ? "every event is signed by the person who acted"
            : "signatures were not required for every event (<code>require_signatures</code> was off), so an unsigned event names who the writer recorded, not who proved it") + "</li>\n"
        body += "<li>Result of <code>hria verify</code>: " + (v.ok ? "<span class=\"badge ok\">verified</span>" : "<span class=\"badge bad\">FAILED</span>")
            + (v.problems.isEmpty ? "" : "<ul>" + v.problems.map { "<li>\(e($0))</li>" }.joined() + "</ul>") + "</li>\n</ul>\n"
        if let text = v.checkpointText { body += "<pre aria-label=\"Signed checkpoint\">\(e(text))</pre>\n" }
        body += "<p>Anyone can check this record: <code>hria verify --bundle DIR</code> on the published bundle, or compare the checkpoint above with one published earlier.</p>\n</section>\n"
        body += "</main>\n"

        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            + "<title>Decision record: \(e(r.title ?? r.id))</title>\n<style>\n\(style)\n</style>\n</head>\n<body>\n\(body)</body>\n</html>\n"
    }

    /// The path the assessment took, drawn as an inline SVG: one box per stage visit, arrows between, the end
    /// marked with a double border. Plain shapes and text only, so it prints and needs nothing external.
    static func pathSVG(_ r: DecisionRecord) -> String {
        let boxWidth = 420, boxHeight = 44, gap = 22, left = 40
        let height = max(1, r.timeline.count) * (boxHeight + gap) + 10
        var svg = "<figure>\n<svg width=\"\(boxWidth + 2 * left)\" height=\"\(height)\" viewBox=\"0 0 \(boxWidth + 2 * left) \(height)\" role=\"img\" aria-labelledby=\"path-title path-desc\">\n"
        svg += "<title id=\"path-title\">Stages of \(escape(r.id)) in the order they were entered</title>\n"
        svg += "<desc id=\"path-desc\">" + escape(r.timeline.map { $0.title }.joined(separator: ", then ")) + "</desc>\n"
        for (i, step) in r.timeline.enumerated() {
            let y = 5 + i * (boxHeight + gap)
            let current = i == r.timeline.count - 1
            svg += "<rect x=\"\(left)\" y=\"\(y)\" width=\"\(boxWidth)\" height=\"\(boxHeight)\" rx=\"8\" fill=\"\(current ? "#fde68a" : "#dbeafe")\" stroke=\"#1e3a8a\" stroke-width=\"\(step.terminal ? 4 : 2)\"/>\n"
            if step.terminal {
                svg += "<rect x=\"\(left + 4)\" y=\"\(y + 4)\" width=\"\(boxWidth - 8)\" height=\"\(boxHeight - 8)\" rx=\"6\" fill=\"none\" stroke=\"#1e3a8a\" stroke-width=\"1\"/>\n"
            }
            svg += "<text x=\"\(left + 12)\" y=\"\(y + 19)\" font-size=\"14\" font-weight=\"600\" fill=\"#111827\">\(escape(step.title))\(step.visit > 1 ? " (visit \(step.visit))" : "")</text>\n"
            svg += "<text x=\"\(left + 12)\" y=\"\(y + 36)\" font-size=\"12\" fill=\"#374151\">\(escape(minute(step.entered) + " · " + step.enteredBy))</text>\n"
            if i < r.timeline.count - 1 {
                let x = left + boxWidth / 2, y1 = y + boxHeight, y2 = y + boxHeight + gap
                svg += "<line x1=\"\(x)\" y1=\"\(y1)\" x2=\"\(x)\" y2=\"\(y2 - 6)\" stroke=\"#1e3a8a\" stroke-width=\"2\"/>\n"
                svg += "<polygon points=\"\(x - 5),\(y2 - 7) \(x + 5),\(y2 - 7) \(x),\(y2)\" fill=\"#1e3a8a\"/>\n"
            }
        }
        svg += "</svg>\n<figcaption>The path taken; the last box is where the assessment stands"
            + (r.outcome.map { " (ended: \(escape($0)))" } ?? "") + ".</figcaption>\n</figure>"
        return svg
    }
}
