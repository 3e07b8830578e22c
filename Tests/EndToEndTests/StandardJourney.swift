import Foundation
import Testing

/// A digital-platform-hria assessment walked stage by stage through the CLI with the evidence a careful officer
/// records, so that each of the practitioner's findings (issue 19) is tested where it bites: at the decision, at
/// the consultation, in monitoring. Every step must succeed (a `HarnessError` names the one that did not); the
/// tests then try what the old workflows allowed and the new ones refuse.
struct DigitalJourney {
    let ws: TestWorkspace
    let id: String

    static let workflow = "digital-platform-hria"

    /// Runs a command that must succeed.
    @discardableResult
    func must(_ arguments: [String], as actor: String, at now: String) throws -> HRIA.Result {
        let result = try ws.run(arguments, as: actor, at: now)
        guard result.status == 0 else {
            throw HarnessError("hria \(arguments.joined(separator: " ")) --as \(actor): exit \(result.status)\n\(result.stderr)")
        }
        return result
    }

    /// `hria evidence add ID REQUIREMENT` with fields, a small file when `file` names one, and confidential values.
    func evidence(_ requirement: String, _ fields: [String], file: String? = nil, confidential: [String] = [], as actor: String,
                  at now: String) throws {
        var arguments = ["evidence", "add", id, requirement]
        if let file { arguments += ["--file", try ws.file(file)] }
        for field in fields { arguments += ["--field", field] }
        for value in confidential { arguments += ["--confidential", value] }
        try must(arguments, as: actor, at: now)
    }

    func fact(_ values: [String], as actor: String, at now: String) throws {
        try must(["fact", id] + values, as: actor, at: now)
    }

    func approve(_ people: [String], at now: String) throws {
        for person in people { try must(["signoff", id, "--approve"], as: person, at: now) }
    }

    func advance(as actor: String, at now: String) throws {
        try must(["advance", id], as: actor, at: now)
    }

    // MARK: Stages, each left with its sign-offs given

    static let start = "2026-03-02T09:00:00Z"

    func intake() throws {
        try must(["new", id, "--workflow", Self.workflow, "--partner", "Kestrel Cloud Ltd.", "--fact", "hosts_user_content=true",
                  "--fact", "data_localisation_required=true"], as: "ana", at: Self.start)
        let at = "2026-03-02T10:00:00Z"
        try evidence("product_description", ["title=Campaign platform", "source=Programme office"], file: "product.md", as: "ana", at: at)
        try evidence("partner_questionnaire", ["respondent=Kestrel", "submitted_on=2026-02-27", "sections_completed=5"],
                     file: "questionnaire.md", as: "ana", at: at)
        try evidence("coi_declaration", ["signatory=Ana Ruiz", "signatory_role=requester", "signed_on=2026-03-02", "interest_declared=false",
                                         "statement=No interest."], file: "coi-ana.md", as: "ana", at: at)
        try approve(["ravi"], at: at)
        try advance(as: "ana", at: at)
    }

    /// Screening up to, not including, the complicity determination.
    func screeningEvidence(tier: String = "high") throws {
        let at = "2026-03-05T09:00:00Z"
        try evidence("exclusion_checklist", ["un_sanctions=clear", "un_ineligibility=clear", "weapons=clear", "tobacco=clear",
                                             "forced_labour=clear", "child_labour=clear", "human_rights_violations=clear",
                                             "other_excluded_sectors=clear", "sources_searched=UN sanctions and ineligibility lists"],
                     as: "amina", at: at)
        try fact(["exclusion_hit=false", "high_risk_jurisdiction=true", "tier=\(tier)"], as: "amina", at: at)
        for n in 1...3 {
            try evidence("controversy_scan", ["url=https://example.org/source-\(n)", "publisher=Source \(n)", "retrieved_on=2026-03-05",
                                              "finding=Finding \(n) on surveillance and censorship."], file: "source-\(n).md", as: "amina", at: at)
        }
        try evidence("risk_benefit_summary", ["summary=Large reach; no policy on government requests."], as: "amina", at: at)
    }

    func screening() throws {
        try screeningEvidence()
        let at = "2026-03-05T09:00:00Z"
        try evidence("complicity_determination", ["conclusion=clear", "sources_reviewed=3",
                                                  "reasoning=The sources show risks, not complicity in violations."], as: "amina", at: at)
        try approve(["ravi"], at: at)
        try advance(as: "amina", at: at)
    }

    func scoping() throws {
        let at = "2026-03-10T09:00:00Z"
        try evidence("terms_of_reference", ["title=Terms of reference", "source=Office"], file: "tor.md", as: "amina", at: at)
        try evidence("stakeholder_map", ["title=Stakeholder map", "source=Office"], file: "map.md", as: "amina", at: at)
        try evidence("assessor_independence", ["signatory=Amina Diallo", "signatory_role=assessor", "signed_on=2026-03-10",
                                               "interest_declared=false", "statement=Independent."], file: "independence.md", as: "amina", at: at)
        try evidence("data_flow_map", ["data_category=Dialogue recordings", "personal_data=true", "sensitive_data=true",
                                       "from_system=Campaign app", "to_system=Partner cloud", "storage_country=Home state of the partner",
                                       "retention=Unspecified", "accessible_by=Partner and, on demand, authorities",
                                       "encryption=in_transit_only"], as: "amina", at: at)
        try fact(["high_risk_processing_criteria=4"], as: "amina", at: at)
        try evidence("dpia_threshold_check", ["summary=Four of nine criteria apply."], as: "amina", at: at)
        try evidence("dpia", ["title=DPIA", "source=Office with the DPO"], file: "dpia.md", as: "amina", at: at)
        try approve(["kofi", "lena"], at: at)
        try advance(as: "amina", at: at)
    }

    func policyReview() throws {
        let at = "2026-03-16T09:00:00Z"
        try evidence("government_request_review", ["policy_url=https://example.org/none", "requires_legal_process=false",
                                                   "challenges_overbroad_requests=false", "notifies_affected_users=false",
                                                   "publishes_transparency_report=false", "summary=No published policy."],
                     as: "amina", at: at)
        try evidence("jurisdiction_analysis", ["title=Jurisdiction analysis", "source=Legal office"], file: "jurisdiction.md", as: "amina", at: at)
        try evidence("content_moderation_review", ["policy_url=https://example.org/rules", "rules_public=false", "human_review_available=false",
                                                   "appeals_available=false", "reports_state_removal_requests=false",
                                                   "languages_covered=Two", "summary=Keyword filtering."], as: "amina", at: at)
        try evidence("security_review", ["title=Security review", "source=Technology office"], file: "security.md", as: "amina", at: at)
        try approve(["nadia", "yuki"], at: at)
        try advance(as: "amina", at: at)
    }

    /// A consultation: its date and what was said are confidential values, only their digests in the log.
    func consultation(_ requirement: String, group: String, heightenedRisk: Bool, secure: Bool = true, as actor: String = "amina",
                      at now: String) throws {
        try evidence(requirement, ["group=\(group)", "heightened_risk=\(heightenedRisk)", "method=Closed call",
                                   "secure_channel=\(secure)"],
                     confidential: ["date=2026-03-18", "participants=Two people who asked not to be named",
                                    "statement=We would not speak on this platform.", "summary=Fear of identification."],
                     as: actor, at: now)
    }

    static let coverage = [
        "group=Human-rights defenders", "heightened_risk=true", "coverage=consulted", "consent_recorded=true", "safety_assessed=true",
        "information_shared_in_advance=true", "language=English and Arabic", "input_used=Shaped the privacy impact and its conditions",
    ]

    /// Stakeholder input up to, not including, the coverage matrix.
    func stakeholderEvidence() throws {
        let at = "2026-03-20T09:00:00Z"
        try fact(["consultation_not_possible=false"], as: "amina", at: at)
        try consultation("at_risk_user_consultations", group: "Human-rights defenders", heightenedRisk: true, at: at)
        try consultation("at_risk_user_consultations", group: "Women journalists", heightenedRisk: true, at: at)
        try consultation("digital_rights_consultations", group: "Digital-rights organisations", heightenedRisk: false, at: at)
        try evidence("baseline", ["title=Baseline", "source=Office"], file: "baseline.md", as: "amina", at: at)
    }

    func stakeholderInput() throws {
        try stakeholderEvidence()
        let at = "2026-03-20T09:00:00Z"
        try evidence("consultation_coverage", Self.coverage, as: "amina", at: at)
        try approve(["kofi"], at: at)
        try advance(as: "amina", at: at)
    }

    /// One impact: `ratings` are scale, scope, irremediability and likelihood.
    static func impact(_ ref: String, right: String, pathway: String, involvement: String, ratings: [Int], children: Bool = false) -> [String] {
        ["ref=\(ref)", "right=\(right)", "rights_holders=Campaign participants", "affected_groups=Defenders, women journalists, youth",
         "children_affected=\(children)", "gender_analysis=Women defenders face online harassment", "pathway=\(pathway)",
         "involvement=\(involvement)", "status=potential", "scale=\(ratings[0])", "scope=\(ratings[1])", "irremediability=\(ratings[2])",
         "likelihood=\(ratings[3])", "rationale=Rated from the rights-holders' point of view."]
    }

    static let impacts = [
        impact("I1", right: "privacy", pathway: "government_access", involvement: "contribute", ratings: [3, 4, 4, 3]),
        impact("I2", right: "freedom_of_expression", pathway: "content_moderation", involvement: "contribute", ratings: [3, 3, 2, 3]),
        impact("I3", right: "participation", pathway: "name_and_emblem", involvement: "linked", ratings: [3, 3, 3, 3]),
    ]

    func impactEvidence(_ impacts: [[String]] = Self.impacts) throws {
        let at = "2026-03-30T09:00:00Z"
        for impact in impacts { try evidence("impacts", impact, as: "amina", at: at) }
        try evidence("vulnerability_analysis", ["title=Vulnerability analysis", "source=Office"], file: "vulnerability.md", as: "amina", at: at)
        try evidence("expert_review", ["title=Expert review", "source=External expert"], file: "expert.md", as: "amina", at: at)
    }

    func impactAnalysis() throws {
        try impactEvidence()
        let at = "2026-03-30T09:00:00Z"
        try approve(["kofi"], at: at)
        try advance(as: "amina", at: at)
    }

    static let clauses = ["draft_version=v0.3", "data_protection=weak", "censorship=missing", "government_requests=missing",
                          "data_location=weak", "exit_rights=adequate", "audit_rights=weak", "governing_law=Law of the partner's home state",
                          "enforceability=doubtful", "conflicting_law=National security law obliges access to data on request",
                          "notes=Four clauses must change."]

    /// Mitigation up to, not including, the leverage analyses.
    func mitigationEvidence() throws {
        let at = "2026-04-06T09:00:00Z"
        for ref in ["I1", "I2", "I3"] {
            try evidence("action_plan", ["impact_ref=\(ref)", "measure=A measure for \(ref)", "owner=Legal office", "due=2026-09-30",
                                         "indicator=Clause agreed", "status=planned"], as: "amina", at: at)
        }
        try evidence("contract_clause_review", Self.clauses, file: "clauses.md", as: "amina", at: at)
        let residual: [(String, String, String, String, [Int])] = [
            ("I1", "privacy", "government_access", "contribute", [3, 4, 4, 2]),
            ("I2", "freedom_of_expression", "content_moderation", "contribute", [2, 3, 2, 2]),
            ("I3", "participation", "name_and_emblem", "linked", [3, 3, 3, 2]),
        ]
        for (ref, right, pathway, involvement, ratings) in residual {
            try evidence("residual_impacts", Self.impact(ref, right: right, pathway: pathway, involvement: involvement, ratings: ratings),
                         as: "amina", at: at)
        }
        try consultation("validation_consultations", group: "Human-rights defenders", heightenedRisk: true, at: at)
        try evidence("grievance_mechanism", ["channel=A confidential line run with an NGO", "operated_by=An independent NGO",
                                             "accessible_to=Every participant", "anonymous_possible=true", "response_time=30 days",
                                             "gp31_assessment=Meets the criteria but predictability."], as: "amina", at: at)
    }

    func leverage() throws {
        let at = "2026-04-06T09:00:00Z"
        for ref in ["I1", "I2", "I3"] {
            try evidence("leverage_analysis", ["impact_ref=\(ref)", "leverage_held=The campaign's visibility",
                                               "how_used=Make the clauses a condition", "if_insufficient=Decline"], as: "amina", at: at)
        }
    }

    func mitigation() throws {
        try mitigationEvidence()
        try leverage()
        let at = "2026-04-08T09:00:00Z"
        try approve(["kofi", "nadia", "yuki"], at: at)
        try advance(as: "amina", at: at)
    }

    /// Everything up to the decision stage.
    func toDecision() throws {
        try intake()
        try screening()
        try scoping()
        try policyReview()
        try stakeholderInput()
        try impactAnalysis()
        try mitigation()
    }

    static let signers = ["seun": "approver", "kofi": "hr_lead", "lena": "dpo", "mei": "dd_committee", "tomas": "dd_committee",
                          "nadia": "legal", "ingrid": "executive_head"]

    /// Everyone who signs a high-tier decision whose data-protection risk is high: each rule of the decision stage.
    static let decisionSigners = ["seun", "kofi", "lena", "mei", "tomas", "nadia", "ingrid"]

    /// The decision's facts and its recorded reasons, by the decision's owner.
    func decide(_ facts: [String], rationale: String, at now: String) throws {
        try fact(facts + ["agreement_signed=false"], as: "ravi", at: now)
        try evidence("decision_record", ["rationale=\(rationale)"], as: "ravi", at: now)
    }

    /// The declarations of interest of every signer of a high-tier decision, and the attestation.
    func declarations(at now: String, announced: Bool = false) throws {
        for (person, role) in Self.signers.sorted(by: { $0.key < $1.key }) {
            try evidence("signer_declarations", ["signatory=\(person)", "signatory_role=\(role)", "signed_on=2026-04-14",
                                                 "interest_declared=false", "statement=No interest in the partner."],
                         file: "declaration-\(person).md", as: "ravi", at: now)
        }
        try evidence("no_announcement_attestation", ["attested_by=Ravi Iyer", "attested_on=2026-04-14", "no_announcement=\(!announced)",
                                                      "no_signature=true", "no_emblem_use=true"], as: "ravi", at: now)
    }

    /// A condition addressing an impact ref or a clause.
    func condition(_ addresses: String, precedent: Bool, due: String = "2026-06-30", at now: String) throws {
        try evidence("conditions", ["condition=Fix \(addresses)", "addresses=\(addresses)", "owner=Legal office", "due=\(due)",
                                    "indicator=Clause signed and checked", "precedent=\(precedent)", "status=open"], as: "ravi", at: now)
    }

    // MARK: Templates

    static func workspace(_ name: String, in parent: URL? = nil, mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.initialised(name, in: parent, assessment: "kestrel", mode: mode)
    }

    /// An assessment that has reached the decision stage, once per test process and mode.
    static let atDecision = TestWorkspace.templates("hria-journey-decision") { parent, mode in
        let ws = try workspace("hria-journey-decision", in: parent, mode: mode).through(.local)
        try DigitalJourney(ws: ws, id: "kestrel").toDecision()
        return ws.root
    }

    /// An assessment with everything of stakeholder input recorded but the coverage matrix.
    static let atCoverage = TestWorkspace.templates("hria-journey-coverage") { parent, mode in
        let ws = try workspace("hria-journey-coverage", in: parent, mode: mode).through(.local)
        let journey = DigitalJourney(ws: ws, id: "kestrel")
        try journey.intake()
        try journey.screening()
        try journey.scoping()
        try journey.policyReview()
        try journey.stakeholderEvidence()
        return ws.root
    }

    static func copy(of template: WorkspaceTemplate, _ name: String, mode: TestWorkspace.Mode) throws -> DigitalJourney {
        DigitalJourney(ws: try TestWorkspace.copy(of: template, name, assessment: "kestrel", mode: mode), id: "kestrel")
    }
}
