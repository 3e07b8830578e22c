import Foundation
import HRIAKit
import Testing

/// The practitioner's findings (issue 19), each as a scenario through the CLI that version 3 of the standard
/// workflows allowed and version 4 refuses, or as the content now required.
@Suite("The method holds: the standard workflows enforce it")
struct MethodTests {
    /// The open items of an assessment, by requirement, as `status --json` lists them.
    static func openItems(_ journey: DigitalJourney, at now: String) throws -> [(seq: Int, requirement: String, overdue: Bool)] {
        let json = try #require(try journey.ws.json(try journey.ws.run(["status", journey.id, "--json"], at: now)) as? [String: Any])
        let items = try #require(json["open_items"] as? [[String: Any]])
        return items.map { ($0["item"] as? Int ?? -1, $0["requirement"] as? String ?? "", $0["overdue"] as? Bool ?? false) }
    }

    @Test("finding 1: the walked-around decision (tier lowered, conditions 'TBD', the approver alone) is refused at every step", arguments: TestWorkspace.Mode.allCases)
    func decisionGate(mode: TestWorkspace.Mode) throws {
        let journey = try DigitalJourney.copy(of: DigitalJourney.atDecision, "hria-method-gate", mode: mode)
        let ws = journey.ws, id = journey.id
        defer { ws.cleanUp() }
        let at = "2026-04-14T09:00:00Z"
        // The facts the sign-offs depend on are set where they are assessed, never where they are decided.
        try ws.refused(["fact", id, "tier=low"], as: "ravi", at: at, id: id,
                       summary: "fact tier may be set only in intake, screening, impact_analysis, not in decision")
        try ws.refused(["fact", id, "high_risk_processing_criteria=0"], as: "ravi", at: at, id: id,
                       summary: "fact high_risk_processing_criteria may be set only in scoping, not in decision")
        try journey.decide(["decision=proceed_with_conditions"], rationale: "Proceed; the partner will fix things.", at: at)
        try journey.condition("TBD", precedent: false, at: at)
        try journey.declarations(at: at)
        try journey.approve(["seun"], at: at)
        // The approver alone is not enough, and "TBD" is no precedent condition for the residual severity-4 impact
        // or for the missing and unenforceable clauses.
        let refusal = try ws.refused(["advance", id], as: "ravi", at: at, id: id, blockers: [
            "sign-off: 1 more approval needed from hr_lead (1 in all; none yet)",
            "sign-off: 1 more approval needed from dpo (1 in all; none yet)",
            "sign-off: 2 more approvals needed from dd_committee (2 in all; none yet)",
            "sign-off: 1 more approval needed from legal (1 in all; none yet)",
            "sign-off: 1 more approval needed from executive_head (1 in all; none yet)",
        ])
        #expect(refusal.stderr.contains("  - to publication: the condition size(evidence.signer_declarations.filter("), "\(refusal.stderr)")
        // Precedent conditions for I1 (severity 4 after mitigation), the two missing clauses and enforceability.
        for addresses in ["I1", "censorship", "government_requests", "enforceability"] {
            try ws.ok(["evidence", "add", id, "conditions", "--field", "condition=Fix \(addresses)", "--field", "addresses=\(addresses)",
                       "--field", "owner=Legal office", "--field", "due=2026-06-30", "--field", "indicator=Clause signed and checked",
                       "--field", "precedent=true", "--field", "status=open", "--void-signoffs"], as: "ravi", at: at)
        }
        try journey.approve(DigitalJourney.decisionSigners, at: at)
        try journey.advance(as: "ravi", at: at)

        // Publication cannot be cancelled for legal confidentiality: that is a redaction, not a safety exception.
        let published = "2026-04-20T09:00:00Z"
        try journey.fact(["safety_exception=true"], as: "sam", at: published)
        try ws.bad(["evidence", "add", id, "safety_exception_record", "--field", "reason_category=legal_confidentiality",
                    "--field", "due=2026-10-01", "--field", "status=in_force", "--confidential", "details=Contract confidentiality"],
                   as: "sam", at: published, id: id,
                   message: "\"legal_confidentiality\" is not a value of field reason_category (reprisal_risk, staff_safety)")
        try journey.fact(["safety_exception=false"], as: "sam", at: published)
        try ws.refused(["advance", id], as: "sam", at: published, id: id,
                       blockers: ["evidence public_summary: 0 of 1 public_summary recorded"])
        try journey.evidence("public_summary", ["url=https://example.org/un75", "published_on=2026-04-20",
                                                "decision_summary=Proceed only once four conditions are met.",
                                                "what_we_heard=Defenders fear identification.",
                                                "how_input_shaped_decision=Their fears made data location a precondition.",
                                                "feedback_to_consulted_on=2026-04-21",
                                                "redactions=The partner's commercial terms", "redaction_reason=Legal confidentiality"],
                             file: "summary.md", as: "sam", at: published)
        try journey.approve(["kofi"], at: published)
        #expect(try ws.ok(["advance", id], as: "sam", at: published).stdout.contains("publication → monitoring_6m"))

        // The agreement cannot be recorded as signed while a precedent condition is open.
        let monitoring = "2026-05-04T09:00:00Z"
        let signed = try ws.refused(["fact", id, "agreement_signed=true"], as: "amina", at: monitoring, id: id,
                                    summary: "cannot set agreement_signed now")
        #expect(signed.stderr.contains("fact agreement_signed may be set only when"), "\(signed.stderr)")
        let conditions = try Self.openItems(journey, at: monitoring).filter { $0.requirement == "conditions" }
        #expect(conditions.count == 5)
        for item in conditions {
            try journey.must(["evidence", "update", id, "#\(item.seq)", "--field", "status=verified", "--note", "Checked against the signed text"],
                             as: "amina", at: monitoring)
        }
        try journey.fact(["agreement_signed=true"], as: "amina", at: monitoring)

        // A significant change is not waved through: the review cannot simply continue, nor close with measures open.
        try journey.evidence("significant_changes_6m", ["what=A new law obliges real-time access to communications", "noticed_on=2026-05-04",
                                                       "source=Official gazette"], as: "amina", at: monitoring)
        try journey.advance(as: "amina", at: monitoring)
        let review = "2026-05-10T09:00:00Z"
        try journey.evidence("monitoring_report", ["period_to=2026-05-10", "actions_done=0", "actions_overdue=0", "grievances_received=1",
                                                   "government_requests_received=0", "state_removal_requests=0", "summary=The new law."],
                             as: "ravi", at: review)
        try journey.consultation("followup_consultations", group: "Human-rights defenders", heightenedRisk: true, as: "ravi", at: review)
        try journey.fact(["monitoring_outcome=continue"], as: "ravi", at: review)
        try journey.approve(["kofi"], at: review)
        let goOn = try ws.refused(["advance", id], as: "ravi", at: review, id: id)
        #expect(goOn.stderr.contains("evidence.significant_changes_6m: 1 item"), "\(goOn.stderr)")
        try ws.ok(["fact", id, "monitoring_outcome=reassess", "--void-signoffs"], as: "ravi", at: review)
        try journey.approve(["kofi"], at: review)
        #expect(try ws.ok(["advance", id], as: "ravi", at: review).stdout.contains("periodic_review → impact_analysis"))
        try ws.expectVerifies(id)
    }

    @Test("finding 4: a decline goes through publication, with what was heard and how it shaped the decision", arguments: TestWorkspace.Mode.onWorkspaceOnly)
    func declinePublished(mode: TestWorkspace.Mode) throws {
        let journey = try DigitalJourney.copy(of: DigitalJourney.atDecision, "hria-method-decline", mode: mode)
        let ws = journey.ws, id = journey.id
        defer { ws.cleanUp() }
        let at = "2026-04-14T09:00:00Z"
        try journey.decide(["decision=decline"], rationale: "Privacy and reprisal risks stay of maximum severity.", at: at)
        try journey.declarations(at: at)
        try journey.approve(DigitalJourney.decisionSigners, at: at)
        #expect(try ws.ok(["advance", id], as: "ravi", at: at).stdout.contains("decision → publication"))
        let published = "2026-04-20T09:00:00Z"
        try journey.fact(["safety_exception=false"], as: "sam", at: published)
        // The minimum content of a public summary: the decision, what was heard, how it shaped the decision, feedback.
        try ws.bad(["evidence", "add", id, "public_summary", "--file", try ws.file("notice.md"), "--field", "url=https://example.org/notice",
                    "--field", "published_on=2026-04-20"], as: "sam", at: published, id: id,
                   message: "evidence of type public_summary needs the fields decision_summary, what_we_heard, how_input_shaped_decision, feedback_to_consulted_on")
        try journey.evidence("public_summary", ["url=https://example.org/notice", "published_on=2026-04-20",
                                                "decision_summary=Declined: the risks to participants could not be brought down.",
                                                "what_we_heard=Defenders would not speak on the platform.",
                                                "how_input_shaped_decision=Their refusal showed the campaign would exclude the voices it seeks.",
                                                "feedback_to_consulted_on=2026-04-21"], file: "notice.md", as: "sam", at: published)
        try journey.approve(["kofi"], at: published)
        #expect(try ws.ok(["advance", id], as: "sam", at: published).stdout.contains("publication → declined"))
        let log = try ws.ok(["log", id]).stdout
        #expect(log.contains("how_input_shaped_decision \"Their refusal showed the campaign would exclude the voices it seeks.\""), "\(log)")
        try ws.expectVerifies(id)
    }

    @Test("finding 10: nothing announced, signed or branded before a proceed; declarations count only without an interest", arguments: TestWorkspace.Mode.onWorkspaceOnly)
    func attestationAndDeclarations(mode: TestWorkspace.Mode) throws {
        let journey = try DigitalJourney.copy(of: DigitalJourney.atDecision, "hria-method-attest", mode: mode)
        let ws = journey.ws, id = journey.id
        defer { ws.cleanUp() }
        let at = "2026-04-14T09:00:00Z"
        try journey.decide(["decision=proceed_with_conditions"], rationale: "Proceed with conditions.", at: at)
        for addresses in ["I1", "censorship", "government_requests", "enforceability"] {
            try journey.condition(addresses, precedent: true, at: at)
        }
        try journey.declarations(at: at, announced: true)
        try journey.approve(DigitalJourney.decisionSigners, at: at)
        let refused = try ws.refused(["advance", id], as: "ravi", at: at, id: id)
        #expect(refused.stderr.contains("evidence.no_announcement_attestation: 1 item"), "\(refused.stderr)")
        // The same signers, one with a declared interest: six declarations without an interest are not there.
        let other = try DigitalJourney.copy(of: DigitalJourney.atDecision, "hria-method-declare", mode: mode)
        defer { other.ws.cleanUp() }
        try other.decide(["decision=decline"], rationale: "Decline.", at: at)
        for (person, role) in DigitalJourney.signers.sorted(by: { $0.key < $1.key }) {
            try other.evidence("signer_declarations", ["signatory=\(person)", "signatory_role=\(role)", "signed_on=2026-04-14",
                                                       "interest_declared=\(person == "mei" || person == "tomas")", "statement=As declared."],
                               file: "declaration-\(person).md", as: "ravi", at: at)
        }
        try other.evidence("no_announcement_attestation", ["attested_by=Ravi Iyer", "attested_on=2026-04-14", "no_announcement=true",
                                                           "no_signature=true", "no_emblem_use=true"], as: "ravi", at: at)
        try other.approve(DigitalJourney.decisionSigners, at: at)
        let declared = try other.ws.refused(["advance", id], as: "ravi", at: at, id: id)
        #expect(declared.stderr.contains("to publication: the condition size(evidence.signer_declarations.filter(d, !d.interest_declared))"),
                "\(declared.stderr)")
    }

    @Test("finding 3: every group of the map accounted for, consent and safety for groups at risk, secure channels, experts", arguments: TestWorkspace.Mode.onWorkspaceOnly)
    func consultationCoverage(mode: TestWorkspace.Mode) throws {
        let at = "2026-03-20T09:00:00Z"
        // A group at heightened risk heard without recorded consent.
        let noConsent = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-method-consent", mode: mode)
        defer { noConsent.ws.cleanUp() }
        try noConsent.evidence("consultation_coverage", DigitalJourney.coverage.map { $0 == "consent_recorded=true" ? "consent_recorded=false" : $0 },
                               as: "amina", at: at)
        try noConsent.approve(["kofi"], at: at)
        let consent = try noConsent.ws.refused(["advance", noConsent.id], as: "amina", at: at, id: noConsent.id)
        #expect(consent.stderr.contains("(g.consent_recorded && g.safety_assessed)"), "\(consent.stderr)")
        // A group left out without a reason.
        let noReason = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-method-reason", mode: mode)
        defer { noReason.ws.cleanUp() }
        try noReason.evidence("consultation_coverage", DigitalJourney.coverage, as: "amina", at: at)
        try noReason.evidence("consultation_coverage", ["group=Migrant workers using the app", "heightened_risk=true",
                                                        "coverage=not_consulted", "consent_recorded=false", "safety_assessed=false",
                                                        "information_shared_in_advance=false", "language=Not known"], as: "amina", at: at)
        try noReason.approve(["kofi"], at: at)
        try noReason.ws.refused(["advance", noReason.id], as: "amina", at: at, id: noReason.id)
        // People at risk heard over an insecure channel.
        let insecure = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-method-channel", mode: mode)
        defer { insecure.ws.cleanUp() }
        try insecure.consultation("at_risk_user_consultations", group: "Exiled bloggers", heightenedRisk: true, secure: false, at: at)
        try insecure.evidence("consultation_coverage", DigitalJourney.coverage, as: "amina", at: at)
        try insecure.approve(["kofi"], at: at)
        let channel = try insecure.ws.refused(["advance", insecure.id], as: "amina", at: at, id: insecure.id)
        #expect(channel.stderr.contains("evidence.at_risk_user_consultations.all(c, c.secure_channel)"), "\(channel.stderr)")
        // Consultation impossible no longer switches everything off: experts must be heard (CSDDD Art. 13(4)).
        let impossible = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-method-experts", mode: mode)
        defer { impossible.ws.cleanUp() }
        try impossible.fact(["consultation_not_possible=true"], as: "amina", at: at)
        try impossible.evidence("consultation_coverage", DigitalJourney.coverage, as: "amina", at: at)
        try impossible.approve(["kofi"], at: at)
        try impossible.ws.refused(["advance", impossible.id], as: "amina", at: at, id: impossible.id, blockers: [
            "evidence expert_consultations: 0 of 1 consultation recorded",
            "evidence no_consultation_reason: 0 of 1 note recorded",
        ])
        // Done right, the stage is left.
        let right = try DigitalJourney.copy(of: DigitalJourney.atCoverage, "hria-method-coverage", mode: mode)
        defer { right.ws.cleanUp() }
        try right.evidence("consultation_coverage", DigitalJourney.coverage, as: "amina", at: at)
        try right.approve(["kofi"], at: at)
        try right.advance(as: "amina", at: at)
    }

    @Test("findings 5, 6 and 8: complicity reasoned from the scan, high-risk jurisdiction, the rights catalogue, children, leverage", arguments: TestWorkspace.Mode.onWorkspaceOnly)
    func analysis(mode: TestWorkspace.Mode) throws {
        let ws = try DigitalJourney.workspace("hria-method-analysis", mode: mode)
        defer { ws.cleanUp() }
        let journey = DigitalJourney(ws: ws, id: "kestrel")
        try journey.intake()
        try journey.screeningEvidence(tier: "moderate")
        var at = "2026-03-05T09:00:00Z"
        try journey.approve(["ravi"], at: at)
        try ws.refused(["advance", journey.id], as: "amina", at: at, id: journey.id,
                       blockers: ["evidence complicity_determination: 0 of 1 complicity_determination recorded"])
        try ws.ok(["evidence", "add", journey.id, "complicity_determination", "--field", "conclusion=clear", "--field", "sources_reviewed=3",
                   "--field", "reasoning=No source shows complicity.", "--void-signoffs"], as: "amina", at: at)
        try journey.approve(["ravi"], at: at)
        try journey.advance(as: "amina", at: at)
        try journey.scoping()
        try journey.policyReview()
        try journey.stakeholderInput()
        at = "2026-03-30T09:00:00Z"
        // The right comes from the catalogue (docs/RIGHTS.md), not free text.
        try ws.bad(["evidence", "add", journey.id, "impacts"] + DigitalJourney.impact("I1", right: "Privacy", pathway: "data_processing",
                                                                                       involvement: "contribute", ratings: [2, 2, 2, 2])
                        .flatMap { ["--field", $0] }, as: "amina", at: at, id: journey.id,
                   message: "\"Privacy\" is not a value of field right (privacy, freedom_of_expression, access_to_information, freedom_of_assembly, participation, non_discrimination, security_of_person, rights_of_the_child, other)")
        let modest = [
            DigitalJourney.impact("I1", right: "privacy", pathway: "data_processing", involvement: "contribute", ratings: [2, 2, 2, 2]),
            DigitalJourney.impact("I2", right: "freedom_of_expression", pathway: "content_moderation", involvement: "linked", ratings: [2, 2, 1, 2]),
            DigitalJourney.impact("I3", right: "rights_of_the_child", pathway: "name_and_emblem", involvement: "linked", ratings: [2, 1, 1, 1],
                                  children: true),
        ]
        for impact in modest { try journey.evidence("impacts", impact, as: "amina", at: at) }
        try journey.evidence("vulnerability_analysis", ["title=Vulnerability analysis", "source=Office"], file: "vulnerability.md", as: "amina", at: at)
        try journey.approve(["kofi"], at: at)
        // Children among the affected: their rights are assessed as such. Authorities reaching the data without
        // oversight: the tier is at least substantial, whatever the ratings.
        let refused = try ws.refused(["advance", journey.id], as: "amina", at: at, id: journey.id,
                                     blockers: ["evidence child_rights_assessment: 0 of 1 document recorded"])
        #expect(refused.stderr.contains("(facts.tier = \"moderate\", facts.high_risk_jurisdiction = true, evidence.impacts: 3 items)"), "\(refused.stderr)")
        try ws.ok(["evidence", "add", journey.id, "child_rights_assessment", "--file", try ws.file("children.md"), "--field", "title=Children",
                   "--field", "source=Office", "--void-signoffs"], as: "amina", at: at)
        try ws.ok(["fact", journey.id, "tier=substantial", "--reason", "Authorities can reach the data without oversight."], as: "amina", at: at)
        try journey.approve(["kofi"], at: at)
        try journey.advance(as: "amina", at: at)
        // Every impact contributed to or linked needs its leverage analysis before the decision.
        try journey.mitigationEvidence()
        at = "2026-04-08T09:00:00Z"
        try journey.approve(["kofi", "nadia", "yuki"], at: at)
        let leverage = try ws.refused(["advance", journey.id], as: "amina", at: at, id: journey.id,
                                      blockers: ["evidence leverage_analysis: 0 of 1 leverage_assessment recorded"])
        #expect(leverage.stderr.contains("evidence.leverage_analysis.exists(l, l.impact_ref == i.ref)"), "\(leverage.stderr)")
    }

    @Test("finding 10: partnership-hria routes a digital product to digital-platform-hria at intake", arguments: TestWorkspace.Mode.onWorkspaceOnly)
    func routing(mode: TestWorkspace.Mode) throws {
        let ws = try TestWorkspace.initialised("hria-method-route", mode: mode)
        defer { ws.cleanUp() }
        let at = "2026-03-02T09:00:00Z"
        try ws.ok(["new", "app", "--workflow", "partnership-hria", "--partner", "Chat Co"], as: "ana", at: at)
        for (requirement, fields) in [("partnership_description", ["title=A messaging app", "source=Programme office"]),
                                      ("partner_questionnaire", ["respondent=Chat Co", "submitted_on=2026-02-27", "sections_completed=5"]),
                                      ("coi_declaration", ["signatory=Ana", "signatory_role=requester", "signed_on=2026-03-02",
                                                           "interest_declared=false", "statement=None."])] {
            try ws.ok(["evidence", "add", "app", requirement, "--file", try ws.file("\(requirement).md")] + fields.flatMap { ["--field", $0] },
                      as: "ana", at: at)
        }
        try ws.ok(["signoff", "app", "--approve"], as: "ravi", at: at)
        let unset = try ws.refused(["advance", "app"], as: "ana", at: at, id: "app")
        #expect(unset.stderr.contains("fact digital_service is not set"), "\(unset.stderr)")
        try ws.ok(["fact", "app", "digital_service=true", "--void-signoffs"], as: "ana", at: at)
        try ws.ok(["signoff", "app", "--approve"], as: "ravi", at: at)
        #expect(try ws.ok(["advance", "app"], as: "ana", at: at).stdout.contains("intake → rerouted"))
        #expect(try ws.ok(["status", "app"], at: at).stdout.contains("outcome   rerouted"))
    }

    @Test("finding 11 and the method's texts: the standard workflows cite what the standards say")
    func citations() throws {
        for name in ["partnership-hria", "digital-platform-hria"] {
            let text = try String(contentsOf: HRIA.packageRoot.appendingPathComponent("workflows/\(name).yaml"), encoding: .utf8)
            #expect(text.contains("CSDDD Art. 15(1)"), "\(name): the 12-month cadence")
            #expect(!text.contains("P24M"), "\(name): no 24-month review")
            #expect(text.contains("CSDDD Art. 13(4)"), "\(name): experts where consultation is impossible")
            #expect(text.contains("UNGP GP21(c)"), "\(name): GP21(c) itself")
            #expect(!text.contains("GP21 commentary"), "\(name)")
            #expect(text.contains("neither says this in so many words"), "\(name): GP16/19 and the most senior level")
            #expect(text.contains("sent after the partnership had") || name == "partnership-hria", "\(name): the 21 April 2020 letter")
            #expect(text.contains("docs/RIGHTS.md"), "\(name): the rights catalogue")
            let lint = try HRIA.run(["workflow", "lint", "--strict", "workflows/\(name).yaml"])
            #expect(lint.status == 0 && lint.stdout == "no problems in 1 workflow file\n", "\(lint.stdout)")
        }
        let catalogue = try String(contentsOf: HRIA.packageRoot.appendingPathComponent("docs/RIGHTS.md"), encoding: .utf8)
        for right in ["privacy", "freedom_of_expression", "access_to_information", "freedom_of_assembly", "participation",
                      "non_discrimination", "security_of_person", "rights_of_the_child", "other"] {
            #expect(catalogue.contains("| `\(right)` |"), "docs/RIGHTS.md lacks \(right)")
        }
    }
}

