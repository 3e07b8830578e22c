import Foundation
import HRIAKit
import Hummingbird

extension HRIAServer {
    /// The routes about every assessment at once: `hria list` with its filters and order, and
    /// `hria report --portfolio`. Each is made from the assessments' verified standings, as the commands make them;
    /// an assessment that does not verify is left out of the list and named, and stops the portfolio.
    func addPortfolioRoutes(to router: Router<HRIARequestContext>) {
        let signed = SignedRequests(server: self, nonces: nonces)

        router.group("api/v1/assessments").add(middleware: signed).get { request, context in
            let query = try ReadQuery(request, takes: ["stage", "tier", "outcome", "overdue", "sort", "format"])
            let order = try query.choice("sort", among: ListQuery.Sort.allCases.map(\.rawValue), fallback: ListQuery.Sort.id.rawValue)
            guard let sort = ListQuery.Sort(rawValue: order) else { throw Problem.badInput("sort \(order) is not known") }
            let list = ListQuery(stage: query.value("stage"), tier: query.value("tier"), outcome: query.value("outcome"),
                                 overdueOnly: try query.flag("overdue"), sort: sort)
            // What `output` holds: what hria list prints, or hria list --json.
            let json = try query.choice("format", among: ["json", "text"], fallback: "json") == "json"
            return try await self.blocking {
                try Self.list(list, json: json, workspace: try context.workspace ?? self.openWorkspace())
            }
        }

        router.group("api/v1/portfolio").add(middleware: signed).get { request, context in
            let query = try ReadQuery(request, takes: ["format"])
            let format = try query.choice("format", among: ["md", "html"], fallback: "md")
            return try await self.blocking {
                let workspace = try context.workspace ?? self.openWorkspace()
                let text = try workspace.portfolio(html: format == "html", now: ServerClock.now())
                return Response.document(text, type: format == "html" ? "text/html; charset=utf-8" : "text/markdown; charset=utf-8")
            }
        }
    }

    /// `hria list`: the rows that match as data (`assessments`, as `--json` lists them), what the command prints
    /// (`output`), and the assessments left out because they do not verify (`left_out`), which the command names on
    /// standard error before it fails.
    static func list(_ query: ListQuery, json: Bool, workspace: Workspace) throws -> Response {
        let (summaries, damaged, vocabularies) = try workspace.summaries()
        let rows = try query.rows(summaries, vocabularies: vocabularies.values, now: ServerClock.now())
        let output: String
        if json {
            output = ListReport.json(rows).rendered(pretty: true) + "\n"
        } else if rows.isEmpty {
            output = ListReport.nothingListed(hasAssessments: !(try workspace.assessmentIDs().isEmpty), anyLeftOut: !damaged.isEmpty) + "\n"
        } else {
            output = ListReport.text(rows)
        }
        return Response.json(.object([
            "assessments": ListReport.json(rows),
            "output": .string(output),
            "left_out": .array(damaged.map { .object(["id": .string($0.id), "problem": .string($0.problem)]) }),
        ]))
    }
}
