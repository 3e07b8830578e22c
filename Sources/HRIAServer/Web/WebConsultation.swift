import Foundation
import HRIAKit
import Hummingbird
import Logging
import NIOCore

/// Stakeholder input from people at risk (docs/WEB.md, "Stakeholder input"): a stage's owner opens a consultation
/// form for one evidence requirement; anyone holding its link answers it, with no session, no script and no name
/// needed; each answer waits as a private item of the assessment until the owner records it as evidence (signed in
/// their own browser, as every act on the web pages) or declines it. Nothing of an answer reaches the log before the
/// owner signs it, and nothing of it ever reaches the server's logs.

/// A consultation form as it is kept (the private item `consultations/ID`): what the public page needs, the fields
/// of the evidence type copied when it was opened, so the public route reads one item and no workflow.
struct Consultation: Sendable {
    struct Field: Sendable {
        var name: String
        /// `string`, `text`, `int`, `bool`, `date` or `enum`.
        var kind: String
        var values: [String] = []
        var minimum: Int?
        var maximum: Int?
        var confidential: Bool
        /// The question as the owner wrote it in the people's language; the field's name otherwise.
        var label: String?
    }

    /// `ASSESSMENT.RANDOM`: the assessment is part of the link so one item is read to answer it.
    var id: String
    var token: String
    /// The token every copy of the form carries back (an anonymous form's protection against other sites' pages,
    /// with the Origin check): a page that was not served by this server for this consultation cannot know it.
    var formToken: String
    var requirement: String
    var stage: String
    var type: String
    var fields: [Field]
    var title: String
    var introduction: String
    var language: String
    /// The last day (UTC) it takes answers, YYYY-MM-DD.
    var closes: String
    var openedBy: String
    var opened: String
    var closed: Bool

    var assessment: String { String(id.prefix { $0 != "." }) }
    var itemName: String { "consultations/\(id)" }
    var link: String { "/web/consult/\(id)/\(token)" }

    func isOpen(today: String) -> Bool { !closed && today <= closes }

    /// `ASSESSMENT.` and 32 lower-case hex digits, or nil.
    static func assessment(ofID id: String) -> String? {
        let parts = id.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, AssessmentID.isValid(String(parts[0])), parts[1].utf8.count == 32,
              parts[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else { return nil }
        return String(parts[0])
    }

    static func hex(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0 ..< count).map { _ in
            let byte = UInt8.random(in: 0 ... 255, using: &generator)
            return String(byte >> 4, radix: 16) + String(byte & 0x0F, radix: 16)
        }.joined()
    }

    var json: JSONValue {
        .object([
            "id": .string(id), "token": .string(token), "form_token": .string(formToken), "requirement": .string(requirement),
            "stage": .string(stage), "type": .string(type), "title": .string(title), "introduction": .string(introduction),
            "language": .string(language), "closes": .string(closes), "opened_by": .string(openedBy), "opened": .string(opened),
            "closed": .bool(closed),
            "fields": .array(fields.map { field in
                var members: [String: JSONValue] = ["name": .string(field.name), "kind": .string(field.kind), "confidential": .bool(field.confidential)]
                if !field.values.isEmpty { members["values"] = .array(field.values.map(JSONValue.string)) }
                if let minimum = field.minimum { members["min"] = .int(minimum) }
                if let maximum = field.maximum { members["max"] = .int(maximum) }
                if let label = field.label { members["label"] = .string(label) }
                return .object(members)
            }),
        ])
    }

    init(id: String, token: String, formToken: String, requirement: String, stage: String, type: String, fields: [Field], title: String,
         introduction: String, language: String, closes: String, openedBy: String, opened: String, closed: Bool) {
        self.id = id
        self.token = token
        self.formToken = formToken
        self.requirement = requirement
        self.stage = stage
        self.type = type
        self.fields = fields
        self.title = title
        self.introduction = introduction
        self.language = language
        self.closes = closes
        self.openedBy = openedBy
        self.opened = opened
        self.closed = closed
    }

    init?(_ bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes), let id = value["id"]?.stringValue, let token = value["token"]?.stringValue,
              let formToken = value["form_token"]?.stringValue, let requirement = value["requirement"]?.stringValue,
              let stage = value["stage"]?.stringValue, let type = value["type"]?.stringValue, let title = value["title"]?.stringValue,
              let introduction = value["introduction"]?.stringValue, let language = value["language"]?.stringValue,
              let closes = value["closes"]?.stringValue, let fields = value["fields"]?.arrayValue else { return nil }
        self.init(id: id, token: token, formToken: formToken, requirement: requirement, stage: stage, type: type,
                  fields: fields.compactMap { field in
                      guard let name = field["name"]?.stringValue, let kind = field["kind"]?.stringValue else { return nil }
                      return Field(name: name, kind: kind, values: field["values"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                   minimum: field["min"]?.intValue, maximum: field["max"]?.intValue,
                                   confidential: field["confidential"]?.boolValue ?? true, label: field["label"]?.stringValue)
                  },
                  title: title, introduction: introduction, language: language, closes: closes,
                  openedBy: value["opened_by"]?.stringValue ?? "", opened: value["opened"]?.stringValue ?? "",
                  closed: value["closed"]?.boolValue ?? false)
    }

    /// The fields of an evidence type as the public form shows them.
    static func fields(of type: EvidenceType, labels: [String: String]) -> [Field] {
        type.fields.map { field in
            var out = Field(name: field.name, kind: "string", confidential: field.confidential, label: labels[field.name])
            switch field.type {
            case .string: out.kind = "string"
            case .text: out.kind = "text"
            case .bool: out.kind = "bool"
            case .date: out.kind = "date"
            case .int(let range):
                out.kind = "int"
                out.minimum = range?.lowerBound
                out.maximum = range?.upperBound
            case .enumeration(let values):
                out.kind = "enum"
                out.values = values
            }
            return out
        }
    }

    /// Whether answers from the public can be evidence of this type: no file is required (the public form takes
    /// none), and the type is meant for what people say (`report: consultations`) or keeps some of it confidential.
    static func suits(_ type: EvidenceType) -> Bool {
        type.file != .required && !type.fields.isEmpty && (type.report == .consultations || type.fields.contains { $0.confidential })
    }
}

/// One answer to a consultation, kept as the private item `submissions/CONSULTATION.RANDOM` until the owner records or
/// declines it. Only the day is kept, never the time, and nothing about the sender but what they chose to write.
struct ConsultationSubmission: Sendable {
    var name: String
    var consultation: String
    var requirement: String
    var day: String
    /// The name the person gave, if any.
    var person: String?
    var fields: [String: String]
    var confidential: [String: String]
    /// The words the person agreed to, in the language they read them.
    var consent: String
    var language: String

    var key: String { String(name.dropFirst("submissions/".count)) }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "consultation": .string(consultation), "requirement": .string(requirement), "day": .string(day),
            "fields": .object(fields.mapValues(JSONValue.string)), "confidential": .object(confidential.mapValues(JSONValue.string)),
            "consent": .object(["given": .bool(true), "text": .string(consent), "language": .string(language)]),
        ]
        if let person { members["name"] = .string(person) }
        return .object(members)
    }

    init(name: String, consultation: String, requirement: String, day: String, person: String?, fields: [String: String],
         confidential: [String: String], consent: String, language: String) {
        self.name = name
        self.consultation = consultation
        self.requirement = requirement
        self.day = day
        self.person = person
        self.fields = fields
        self.confidential = confidential
        self.consent = consent
        self.language = language
    }

    init?(name: String, bytes: [UInt8]) {
        guard let value = try? JSONParser.parse(bytes), let consultation = value["consultation"]?.stringValue,
              let requirement = value["requirement"]?.stringValue, let day = value["day"]?.stringValue else { return nil }
        self.init(name: name, consultation: consultation, requirement: requirement, day: day, person: value["name"]?.stringValue,
                  fields: value["fields"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
                  confidential: value["confidential"]?.objectValue?.compactMapValues(\.stringValue) ?? [:],
                  consent: value["consent"]?["text"]?.stringValue ?? "", language: value["consent"]?["language"]?.stringValue ?? "")
    }

    /// `CONSULTATION.RANDOM` as it appears in the owner's links, or nil.
    static func isKey(_ key: String) -> Bool {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].utf8.count == 16, parts[2].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            return false
        }
        return Consultation.assessment(ofID: parts[0] + "." + parts[1]) != nil
    }
}

/// Answers a consultation takes: a bucket per consultation (20 at once, then one every 30 s), so one link passed
/// around cannot fill the store. Keyed by consultation, never by sender: nothing about who sends is looked at. The
/// buckets are only those of consultations that exist (the token is checked first), and at most `capacity`.
final class ConsultationLimits: @unchecked Sendable {
    // @unchecked: `buckets` is reached only under `lock`.
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Double)] = [:]
    let burst = 20.0
    let perSecond = 1.0 / 30
    let capacity = 10_000

    static let shared = ConsultationLimits()

    func admit(_ consultation: String, now: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if buckets[consultation] == nil, buckets.count >= capacity {
            // Buckets full again are as good as none.
            buckets = buckets.filter { $0.value.tokens + (now - $0.value.at) * perSecond < burst }
            guard buckets.count < capacity else { return false }
        }
        var bucket = buckets[consultation] ?? (burst, now)
        bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.at) * perSecond)
        bucket.at = now
        guard bucket.tokens >= 1 else {
            buckets[consultation] = bucket
            return false
        }
        bucket.tokens -= 1
        buckets[consultation] = bucket
        return true
    }
}

/// The server's request log, except for the consultation pages: their path carries the link's secret token, and who
/// answers what must leave no trace, so they are logged as `/web/consult/…` and nothing else. Everything else is
/// logged as Hummingbird's `LogRequestsMiddleware` logs it.
struct LogRequestsWithoutConsultations: RouterMiddleware {
    typealias Context = HRIARequestContext
    let level: Logger.Level
    let others: LogRequestsMiddleware<HRIARequestContext>

    init(_ level: Logger.Level) {
        self.level = level
        others = LogRequestsMiddleware(level)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard HRIAServer.isConsultationPath(request.uri.path) else { return try await others.handle(request, context: context, next: next) }
        context.logger.log(level: level, "Request", metadata: ["hb.request.path": .string("/web/consult/…"), "hb.request.method": .string(request.method.rawValue)])
        return try await next(request, context)
    }
}

extension HRIAServer {
    /// The public consultation pages, however the path is spelled (case, percent-encoding, repeated slashes).
    static func isConsultationPath(_ path: String) -> Bool {
        let plain = (path.removingPercentEncoding ?? path).lowercased()
        return plain.contains("/consult")
    }

    /// The largest answer the public form takes, and of each field and the name: a phone's form is small.
    static let consultationBodyLimit = 64 * 1024
    static let consultationFieldLimit = 8_000
    static let consultationNameLimit = 200

    /// The consultation routes: the public form in `open` (no session), the owner's acts in `signedIn`.
    func addWebConsultation(open: RouterGroup<HRIARequestContext>, signedIn: RouterGroup<HRIARequestContext>) {
        open.get("consult/:id/:token") { request, context in
            await self.consultationAnswer(request, context, sending: false)
        }
        open.post("consult/:id/:token") { request, context in
            await self.consultationAnswer(request, context, sending: true)
        }

        signedIn.post("assessments/:id/consultations/open") { _, context in
            let id = try await self.ownersConsultationAct(context, doing: "opens a consultation form") { workspace, id, current, fields, signer in
                let consultation = try WebConsultation.consultation(from: fields, assessment: id, workflow: current.workflow, state: current.state,
                                                                    openedBy: signer, today: HTML.day(ServerClock.now()))
                try workspace.log(id).storePrivateItem(name: consultation.itemName, bytes: Array(consultation.json.rendered(pretty: false).utf8))
            }
            return Response.seeOther("/web/assessments/\(HTML.segment(id))#consultations")
        }

        signedIn.post("assessments/:id/consultations/:consultation/close") { _, context in
            let consultationID = try context.parameters.require("consultation")
            let id = try await self.ownersConsultationAct(context, doing: "closes a consultation form") { workspace, id, _, _, _ in
                let record = workspace.log(id)
                guard Consultation.assessment(ofID: consultationID) == id, var consultation = record.privateItem("consultations/\(consultationID)").flatMap(Consultation.init) else {
                    throw Problem.notFound("there is no consultation form \(DisplayText.escape(consultationID)) in \(id)")
                }
                // Kept, closed: its link then says the form is closed rather than that there never was one.
                consultation.closed = true
                try record.storePrivateItem(name: consultation.itemName, bytes: Array(consultation.json.rendered(pretty: false).utf8))
            }
            return Response.seeOther("/web/assessments/\(HTML.segment(id))#consultations")
        }

        signedIn.post("assessments/:id/consultations/answers/:answer/decline") { _, context in
            let key = try context.parameters.require("answer")
            let id = try await self.ownersConsultationAct(context, doing: "declines an answer") { workspace, id, _, _, _ in
                _ = try WebConsultation.answer(key, of: id, in: workspace)
                try workspace.log(id).removePrivateItem("submissions/\(key)")
            }
            return Response.seeOther("/web/assessments/\(HTML.segment(id))#consultation-answers")
        }

        signedIn.post("assessments/:id/consultations/answers/:answer/record") { request, context in
            let id = try context.parameters.require("id")
            let key = try context.parameters.require("answer")
            let fields = try FormFields(context.body.readableBytesView)
            try Self.checkCSRF(fields["csrf"], context)
            let answer = try await self.blocking { try WebConsultation.answer(key, of: id, in: try context.workspace ?? self.openWorkspace()) }
            var open: [(name: String, value: String)] = []
            var confidential: [(name: String, value: String)] = []
            for (name, value) in fields.pairs where !value.isEmpty {
                if name.hasPrefix("field:") { open.append((String(name.dropFirst(6)), value)) }
                if name.hasPrefix("confidential:") { confidential.append((String(name.dropFirst(13)), value)) }
            }
            let command = Command.addEvidence(requirement: answer.requirement, fields: open, confidential: confidential, file: nil)
            return try await self.prepareRecordingAnswer(id, key: key, command: command, allowVoiding: fields["allow_voiding"] == "yes", context)
        }

        signedIn.post("assessments/:id/consultations/answers/:answer/commit") { request, context in
            let id = try context.parameters.require("id")
            let key = try context.parameters.require("answer")
            guard AssessmentID.isValid(id), ConsultationSubmission.isKey(key) else { throw Problem.notFound("there is no such answer here") }
            // Two owners (or two tabs) may each have prepared and signed the same answer: the first to commit claims
            // it, and the other is refused rather than recording it a second time. Only a form of this session claims.
            try Self.checkCSRF(try FormFields(context.body.readableBytesView)["csrf"], context)
            try await self.blocking { try WebConsultation.claimAnswer(key, of: id, in: try context.workspace ?? self.openWorkspace()) }
            let count: Int
            do {
                count = try await self.commitSignedForm(request, context, self.commandFlow(id))
            } catch {
                // Not recorded: the answer waits again, for this owner to sign again or for another.
                try? await self.blocking { try (context.workspace ?? self.openWorkspace()).log(id).removePrivateItem(WebConsultation.claimName(key)) }
                throw error
            }
            // Recorded: the answer now lives in the log and the disclosures, so its waiting copy goes, then the claim.
            // Removed only after the commit succeeded, so a refused or expired signature loses nothing.
            do {
                try await self.blocking {
                    let record = try (context.workspace ?? self.openWorkspace()).log(id)
                    try record.removePrivateItem("submissions/\(key)")
                    try record.removePrivateItem(WebConsultation.claimName(key))
                }
            } catch {
                context.logger.warning("a consultation answer recorded as evidence could not be removed from those awaiting review; decline it on the assessment page")
            }
            return Response.seeOther("/web/assessments/\(HTML.segment(id))?recorded=\(count)")
        }
    }

    /// What each of the owner's acts on consultations checks first: the form's token, the assessment, and that the
    /// signer owns its current stage or is an admin (`doing` says the act in the refusal); then `act`. The assessment's id.
    func ownersConsultationAct(_ context: HRIARequestContext, doing: String,
                               _ act: @escaping @Sendable (_ workspace: Workspace, _ id: String, _ current: CurrentAssessment,
                                                           _ fields: FormFields, _ signer: String) throws -> Void) async throws -> String {
        let id = try context.parameters.require("id")
        let fields = try FormFields(context.body.readableBytesView)
        try Self.checkCSRF(fields["csrf"], context)
        let signer = try context.signer.orUnauthorized()
        try await blocking {
            let workspace = try context.workspace ?? self.openWorkspace()
            let current = try workspace.current(try Self.existing(id, in: workspace))
            guard WebConsultation.mayOpen(try workspace.person(signer), current.workflow, current.state) else {
                throw Problem(status: .forbidden, kind: "forbidden", title: "Not the stage's owner",
                              detail: "only a person holding the role that owns this stage, or an admin, \(doing)", exitCode: ExitStatus.badInput.rawValue)
            }
            try act(workspace, id, current, fields, signer)
        }
        return id
    }

    /// As `prepareOnWeb`, with the commit going to the answer's own route, which removes the answer once recorded.
    func prepareRecordingAnswer(_ id: String, key: String, command: Command, allowVoiding: Bool, _ context: HRIARequestContext) async throws -> Response {
        let path = "/web/assessments/\(HTML.segment(id))"
        return try await prepareOnWeb(id, command: command, allowVoiding: allowVoiding, upload: nil, nil, context,
                                      title: "Assessment \(id): an answer to a consultation, as evidence",
                                      commit: "\(path)/consultations/answers/\(HTML.segment(key))/commit", back: path + "#consultation-answers")
    }

    /// The public form: shown, or answered. Every failure is a page in the consultation's language (or the browser's,
    /// for a link that leads nowhere); nothing here throws, so no failure is logged with the path.
    func consultationAnswer(_ request: Request, _ context: HRIARequestContext, sending: Bool) async -> Response {
        let id = context.parameters.get("id") ?? ""
        let token = context.parameters.get("token") ?? ""
        let browserLanguage = WebConsultation.preferredLanguage(request)
        let today = HTML.day(ServerClock.now())
        let found: Consultation?
        do {
            found = try await blocking { () throws -> Consultation? in
                guard let assessment = Consultation.assessment(ofID: id) else { return nil }
                return try self.openWorkspace().log(assessment).privateItem("consultations/\(id)").flatMap(Consultation.init)
            }
        } catch {
            context.logger.error("a consultation form could not be read from the store")
            return WebConsultation.message(.notSentTitle, .failed, language: browserLanguage, status: .serviceUnavailable)
        }
        guard let consultation = found, consultation.id == id, WebSessions.sameToken(token, consultation.token) else {
            return WebConsultation.message(.unknownTitle, .unknownText, language: browserLanguage, status: .notFound)
        }
        let language = consultation.language
        guard consultation.isOpen(today: today) else {
            return WebConsultation.message(.closedTitle, .closedText, language: language, status: .gone)
        }
        guard sending else { return Response.page(WebConsultation.publicPage(consultation, values: nil, problem: nil)) }

        guard ConsultationLimits.shared.admit(consultation.id, now: Date().timeIntervalSince1970) else {
            var headers = HTTPFields()
            headers[.retryAfter] = "60"
            return WebConsultation.message(.busyTitle, .busyText, language: language, status: .tooManyRequests, extra: headers)
        }
        guard context.body.readableBytes <= Self.consultationBodyLimit, let fields = try? FormFields(context.body.readableBytesView) else {
            return WebConsultation.message(.notSentTitle, .tooLong, language: language, status: .contentTooLarge)
        }
        func again(_ problem: WebCatalogue.Key, _ status: HTTPResponse.Status) -> Response {
            Response.page(WebConsultation.publicPage(consultation, values: fields, problem: problem), status: status)
        }
        guard let form = fields["form"], WebSessions.sameToken(form, consultation.formToken) else {
            return WebConsultation.message(.notSentTitle, .staleForm, language: language, status: .forbidden)
        }
        var open: [String: String] = [:], confidential: [String: String] = [:]
        for field in consultation.fields {
            let value = (fields["f:\(field.name)"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard value.count <= Self.consultationFieldLimit else { return again(.tooLong, .contentTooLarge) }
            guard !value.isEmpty else { continue }
            if field.confidential { confidential[field.name] = value } else { open[field.name] = value }
        }
        let person = (fields["name"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard person.count <= Self.consultationNameLimit else { return again(.tooLong, .contentTooLarge) }
        guard !open.isEmpty || !confidential.isEmpty else { return again(.nothingWritten, .unprocessableContent) }
        guard fields["consent"] == "yes" else { return again(.consentRequired, .unprocessableContent) }

        let answer = ConsultationSubmission(name: "submissions/\(consultation.id).\(Consultation.hex(8))", consultation: consultation.id,
                                            requirement: consultation.requirement, day: today, person: person.isEmpty ? nil : person,
                                            fields: open, confidential: confidential, consent: WebCatalogue.text(.consentText, language), language: language)
        do {
            try await blocking {
                try self.openWorkspace().log(consultation.assessment).storePrivateItem(name: answer.name, bytes: Array(answer.json.rendered(pretty: false).utf8))
            }
        } catch {
            // Said without the error: its text may name the item, and the item names the consultation.
            context.logger.error("a consultation answer could not be stored")
            return WebConsultation.message(.notSentTitle, .failed, language: language, status: .serviceUnavailable)
        }
        return WebConsultation.message(.thanksTitle, .thanksText, language: language, status: .ok)
    }
}

/// The pages and the parts of the assessment page for consultations.
enum WebConsultation {
    /// Who opens, closes and declines: the holder of the role that owns the current stage, or an admin.
    static func mayOpen(_ viewer: Person, _ workflow: Workflow, _ state: AssessmentState) -> Bool {
        viewer.roles.contains(Roster.adminRole) || (workflow.stage(state.stage)?.owner.map { viewer.roles.contains($0.value) } ?? false)
    }

    /// The requirements of the current stage whose evidence type suits a public form.
    static func suitableRequirements(_ workflow: Workflow, _ state: AssessmentState) -> [(requirement: String, type: EvidenceType)] {
        guard let stage = workflow.stage(state.stage) else { return [] }
        return stage.requirements.compactMap { requirement in
            guard let type = workflow.evidenceType(requirement.type.value), Consultation.suits(type) else { return nil }
            return (requirement.id, type)
        }
    }

    /// The consultation the "Open a consultation form" form asks for, checked.
    static func consultation(from fields: FormFields, assessment: String, workflow: Workflow, state: AssessmentState, openedBy: String,
                             today: String) throws -> Consultation {
        let requirement = try fields.required("requirement", "the evidence item it feeds")
        guard let type = suitableRequirements(workflow, state).first(where: { $0.requirement == requirement })?.type else {
            throw Problem.badInput("\(DisplayText.escape(requirement)) is not an evidence item of this stage that a consultation form can feed")
        }
        let title = try fields.required("title", "the title")
        let introduction = try fields.required("introduction", "the introduction")
        guard title.count <= 200, introduction.count <= 4_000 else { throw Problem.badInput("the title is at most 200 characters and the introduction 4,000") }
        let language = try fields.required("language", "the language")
        guard WebCatalogue.language(language) != nil else {
            throw Problem.badInput("the form can be given in " + WebCatalogue.languages.map { "\($0.name) (\($0.code))" }.joined(separator: ", "))
        }
        let closes = try fields.required("closes", "the closing date")
        guard CalendarDate(closes) != nil, closes.count == 10, closes >= today else {
            throw Problem.badInput("the closing date is a day from today on, as YYYY-MM-DD")
        }
        var labels: [String: String] = [:]
        for line in (fields["questions"] ?? "").split(whereSeparator: \.isNewline) {
            let pair = line.split(separator: ":", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let name = pair[0].trimmingCharacters(in: .whitespaces), text = pair[1].trimmingCharacters(in: .whitespaces)
            guard type.field(name) != nil, !text.isEmpty else {
                throw Problem.badInput("\"\(DisplayText.escape(String(line)))\": questions are written as FIELD: question, for the fields "
                                       + type.fields.map(\.name).joined(separator: ", "))
            }
            labels[name] = String(text.prefix(500))
        }
        return Consultation(id: "\(assessment).\(Consultation.hex(16))", token: WebSessions.random(), formToken: WebSessions.random(),
                            requirement: requirement, stage: state.stage, type: type.id, fields: Consultation.fields(of: type, labels: labels),
                            title: title, introduction: introduction, language: language, closes: closes, openedBy: openedBy, opened: today, closed: false)
    }

    /// The private item that says an answer is being recorded: made by the commit that records it, removed when
    /// that commit ends either way.
    static func claimName(_ key: String) -> String { "recording/\(key)" }

    /// A claim older than this was left by a server stopped in the middle of recording (a commit takes at most a
    /// request's minute): the answer is free to be recorded again.
    static let claimLifetime = 300

    /// Claims an answer for the commit about to record it: refused while another commit records it (409), and
    /// not found once it was recorded or declined. The claim is made before the answer is looked for, so that a
    /// commit that finishes first has already removed the answer by the time a second one may claim it.
    static func claimAnswer(_ key: String, of id: String, in workspace: Workspace) throws {
        guard AssessmentID.isValid(id), ConsultationSubmission.isKey(key), key.hasPrefix(id + ".") else {
            throw Problem.notFound("this answer is no longer waiting: it was recorded or declined")
        }
        let record = workspace.log(try HRIAServer.existing(id, in: workspace))
        let now = Int(ServerClock.now().timeIntervalSince1970)
        let stamp = Array(String(now).utf8)
        // Still waiting, as the review page finds it; if not, the claim just made goes again.
        func mustBeWaiting() throws {
            do {
                _ = try answer(key, of: id, in: workspace)
            } catch {
                try? record.removePrivateItem(claimName(key))
                throw error
            }
        }
        if try !record.storePrivateItemIfAbsent(name: claimName(key), bytes: stamp) {
            let since = record.privateItem(claimName(key)).flatMap { Int(String(decoding: $0, as: UTF8.self)) }
            // A claim that could not be read (the database failing) is not taken for one that lapsed.
            if let failure = record.readFailure() { throw failure }
            guard let since, now - since < claimLifetime else {
                // Left by a server stopped mid-commit, or holding no time: taken over.
                try record.storePrivateItem(name: claimName(key), bytes: stamp)
                return try mustBeWaiting()
            }
            throw Problem(status: .conflict, kind: "being-recorded", title: "Being recorded",
                          detail: "someone is recording this answer right now; reload the page to see whether it was recorded",
                          exitCode: ExitStatus.busy.rawValue)
        }
        try mustBeWaiting()
    }

    /// An answer of this assessment awaiting review, or not found.
    static func answer(_ key: String, of id: String, in workspace: Workspace) throws -> ConsultationSubmission {
        guard AssessmentID.isValid(id), ConsultationSubmission.isKey(key), key.hasPrefix(id + "."),
              let bytes = workspace.log(try HRIAServer.existing(id, in: workspace)).privateItem("submissions/\(key)"),
              let answer = ConsultationSubmission(name: "submissions/\(key)", bytes: bytes) else {
            throw Problem.notFound("this answer is no longer waiting: it was recorded or declined")
        }
        return answer
    }

    /// The language a browser asks for first among the catalogue's, for a page that has no consultation to follow.
    static func preferredLanguage(_ request: Request) -> String {
        let header = request.headers.first { $0.name.canonicalName == "accept-language" }?.value ?? ""
        for part in header.split(separator: ",") {
            let tag = part.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            let primary = String(tag.prefix { $0 != "-" })
            if WebCatalogue.language(primary) != nil { return primary }
        }
        return "en"
    }

    /// A page of the public side, in `language`, with no navigation (nothing there is for the public) and no script.
    static func page(title: String, body: String, language: String) -> String {
        let chosen = WebCatalogue.language(language) ?? WebCatalogue.languages[0]
        let html = HTML.page(title: title, body: body, language: chosen.code, direction: chosen.direction, navigation: false)
        // The shared page's skip link is in English; here it speaks the page's language.
        return html.replacingOccurrences(of: ">Skip to content</a>", with: ">\(HTML.escape(WebCatalogue.text(.skipToContent, chosen.code)))</a>")
    }

    static func message(_ title: WebCatalogue.Key, _ text: WebCatalogue.Key, language: String, status: HTTPResponse.Status,
                        extra: HTTPFields = [:]) -> Response {
        let heading = WebCatalogue.text(title, language)
        let body = "<h1>\(HTML.escape(heading))</h1>\n<p>\(HTML.escape(WebCatalogue.text(text, language)))</p>\n"
        return Response.page(page(title: heading, body: body, language: language), status: status, extra: extra)
    }

    /// The form the people consulted fill in; `values` and `problem` when it comes back to them refused, with what
    /// they wrote kept (on a slow phone, typing it again is the worst answer).
    static func publicPage(_ consultation: Consultation, values: FormFields?, problem: WebCatalogue.Key?) -> String {
        let e = HTML.escape, language = consultation.language
        func t(_ key: WebCatalogue.Key) -> String { e(WebCatalogue.text(key, language)) }
        var body = "<h1>\(e(consultation.title))</h1>\n"
        for paragraph in consultation.introduction.components(separatedBy: "\n\n") where !paragraph.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            body += "<p>\(e(paragraph).replacingOccurrences(of: "\n", with: "<br>"))</p>\n"
        }
        body += "<p class=\"meta\">\(t(.openUntil)) <time datetime=\"\(e(consultation.closes))\">\(e(consultation.closes))</time>.</p>\n"
        body += "<div class=\"notice\"><p>\(t(.anonymous))</p><p>\(t(.noTrace))</p></div>\n"
        if let problem { body += "<div class=\"notice bad\" role=\"alert\"><p>\(t(problem))</p></div>\n" }
        body += "<form class=\"act\" method=\"post\" action=\"\(e(consultation.link))\">\n"
        body += "<input type=\"hidden\" name=\"form\" value=\"\(e(consultation.formToken))\">\n<h2>\(t(.answersHeading))</h2>\n"
        for (index, field) in consultation.fields.enumerated() {
            let input = "answer-\(index)", name = e("f:\(field.name)"), value = values?["f:\(field.name)"] ?? ""
            let label = field.label ?? field.name.replacingOccurrences(of: "_", with: " ")
            body += "<label for=\"\(input)\">\(e(label)) <span class=\"hint\">\(t(field.confidential ? .confidentialHint : .openHint))</span></label>\n"
            switch field.kind {
            case "text":
                body += "<textarea id=\"\(input)\" name=\"\(name)\" maxlength=\"\(HRIAServer.consultationFieldLimit)\">\(e(value))</textarea>\n"
            case "bool":
                body += select(input, name, [("", t(.choose)), ("true", t(.yes)), ("false", t(.no))], value)
            case "enum":
                body += select(input, name, [("", t(.choose))] + field.values.map { ($0, e($0)) }, value)
            case "int":
                body += "<input type=\"number\" id=\"\(input)\" name=\"\(name)\"" + (field.minimum.map { " min=\"\($0)\"" } ?? "")
                    + (field.maximum.map { " max=\"\($0)\"" } ?? "") + " value=\"\(e(value))\">\n"
            case "date":
                body += "<input type=\"date\" id=\"\(input)\" name=\"\(name)\" value=\"\(e(value))\" aria-describedby=\"\(input)-hint\">"
                    + "<span class=\"hint\" id=\"\(input)-hint\">\(t(.dateHint))</span>\n"
            default:
                body += "<input type=\"text\" id=\"\(input)\" name=\"\(name)\" maxlength=\"\(HRIAServer.consultationFieldLimit)\" value=\"\(e(value))\">\n"
            }
        }
        body += "<label for=\"answer-name\">\(t(.nameLabel)) <span class=\"hint\">\(t(.optional)). \(t(.nameHint))</span></label>\n"
        body += "<input type=\"text\" id=\"answer-name\" name=\"name\" maxlength=\"\(HRIAServer.consultationNameLimit)\" autocomplete=\"off\" value=\"\(e(values?["name"] ?? ""))\">\n"
        body += "<fieldset><legend>\(t(.consentHeading))</legend>\n<p><input type=\"checkbox\" id=\"answer-consent\" name=\"consent\" value=\"yes\" required> "
            + "<label class=\"inline\" for=\"answer-consent\">\(t(.consentText))</label></p>\n</fieldset>\n"
        body += "<button type=\"submit\">\(t(.send))</button>\n</form>\n"
        return page(title: consultation.title, body: body, language: language)
    }

    private static func select(_ id: String, _ name: String, _ options: [(value: String, label: String)], _ chosen: String) -> String {
        var out = "<select id=\"\(id)\" name=\"\(name)\">\n"
        for option in options {
            out += "<option value=\"\(HTML.escape(option.value))\"" + (option.value == chosen ? " selected" : "") + ">\(option.label)</option>\n"
        }
        return out + "</select>\n"
    }

    // MARK: The assessment page's part

    /// What the assessment page shows of consultations in its "Act" part: the form that opens one and the open ones
    /// with their links (to the stage's owner and admins), and the answers awaiting review with their values (to
    /// people holding a role the workflow declares, who may read confidential values; recorded or declined by the
    /// owner). Empty when the stage has nothing a consultation can feed and nothing waits.
    static func ownerSection(workflow: Workflow, state: AssessmentState, viewer: Person, csrf: String, record: (any AssessmentRecord)?) -> String {
        guard let record else { return "" }
        let e = HTML.escape
        let owner = mayOpen(viewer, workflow, state)
        let reader = workflow.declaresAnyRole(of: viewer.roles)
        let suitable = suitableRequirements(workflow, state)
        let consultations = owner ? record.privateItems(prefix: "consultations/").compactMap { Consultation($0.bytes) }.filter { !$0.closed } : []
        let answers = reader ? record.privateItems(prefix: "submissions/").compactMap { ConsultationSubmission(name: $0.name, bytes: $0.bytes) } : []
        guard (owner && !suitable.isEmpty) || !consultations.isEmpty || !answers.isEmpty else { return "" }
        let path = "/web/assessments/\(HTML.segment(state.id))"
        var out = "<section id=\"consultations\" aria-labelledby=\"consultations-title\">\n<h3 id=\"consultations-title\">Stakeholder input</h3>\n"
        if owner && !suitable.isEmpty {
            out += "<details><summary>Open a consultation form</summary>\n"
            out += "<form class=\"act\" id=\"consultation-open\" method=\"post\" action=\"\(path)/consultations/open\" aria-labelledby=\"consultation-open-title\">\n"
            out += "<h3 id=\"consultation-open-title\">Open a consultation form</h3>\n" + HTML.hiddenCSRF(csrf) + "\n"
            out += "<p class=\"hint\">Anyone with its link can answer, without an account, a name or JavaScript. Answers wait here for you to record "
                + "them as evidence or decline them; nothing reaches the log before you sign it. Write the title, the introduction and the questions "
                + "in the language of the people you consult.</p>\n"
            out += "<label for=\"consultation-requirement\">Evidence it feeds</label>\n<select id=\"consultation-requirement\" name=\"requirement\" required>\n"
            for (requirement, type) in suitable {
                out += "<option value=\"\(e(requirement))\">\(e(requirement)) (\(e(type.id)): \(e(type.fields.map { $0.name + ($0.confidential ? " (confidential)" : "") }.joined(separator: ", "))))</option>\n"
            }
            out += "</select>\n<label for=\"consultation-title\">Title</label>\n<input type=\"text\" id=\"consultation-title\" name=\"title\" maxlength=\"200\" required>\n"
            out += "<label for=\"consultation-introduction\">Introduction <span class=\"hint\">Who is asking, why, what happens to the answers, "
                + "and whom to contact.</span></label>\n<textarea id=\"consultation-introduction\" name=\"introduction\" maxlength=\"4000\" required></textarea>\n"
            out += "<label for=\"consultation-questions\">Questions <span class=\"hint\">Optional: one line per field, as <code>field: the question</code>; "
                + "a field without one is shown by its name.</span></label>\n<textarea id=\"consultation-questions\" name=\"questions\"></textarea>\n"
            out += "<label for=\"consultation-language\">Language of the page</label>\n<select id=\"consultation-language\" name=\"language\">\n"
            for language in WebCatalogue.languages {
                out += "<option value=\"\(e(language.code))\" lang=\"\(e(language.code))\">\(e(language.name))</option>\n"
            }
            out += "</select>\n<label for=\"consultation-closes\">Open until <span class=\"hint\">The last day it takes answers (UTC).</span></label>\n"
            out += "<input type=\"date\" id=\"consultation-closes\" name=\"closes\" required>\n<button type=\"submit\">Open the form</button>\n</form>\n</details>\n"
        }
        if !consultations.isEmpty {
            out += "<div class=\"table-wrap\"><table>\n<caption>Open consultation forms</caption>\n<thead><tr><th scope=\"col\">Title</th>"
                + "<th scope=\"col\">Feeds</th><th scope=\"col\">Language</th><th scope=\"col\">Open until</th><th scope=\"col\">Link to give</th>"
                + "<th scope=\"col\"></th></tr></thead>\n<tbody>\n"
            for consultation in consultations.sorted(by: { $0.opened < $1.opened }) {
                out += "<tr><td lang=\"\(e(consultation.language))\">\(e(consultation.title))</td><td>\(e(consultation.requirement))</td>"
                    + "<td>\(e(WebCatalogue.language(consultation.language)?.name ?? consultation.language))</td><td>\(e(consultation.closes))</td>"
                    + "<td><a class=\"keyline\" href=\"\(e(consultation.link))\">\(e(consultation.link))</a></td><td>"
                    + "<form method=\"post\" action=\"\(path)/consultations/\(HTML.segment(consultation.id))/close\">" + HTML.hiddenCSRF(csrf)
                    + "<button type=\"submit\" class=\"secondary\">Close<span class=\"skip\"> the form \(e(consultation.title))</span></button></form></td></tr>\n"
            }
            out += "</tbody>\n</table></div>\n<p class=\"hint\">Give the link with this server's address in front. Anyone holding it can answer: "
                + "pass it only through channels the people consulted trust.</p>\n"
        }
        if !answers.isEmpty {
            out += "<h3 id=\"consultation-answers\">Answers awaiting review (\(answers.count))</h3>\n"
            out += "<p class=\"hint\">Recording an answer prepares its evidence for you to check and sign; confidential values go to the disclosures, "
                + "only their salted digests to the log. Once recorded or declined, the answer is deleted here.</p>\n"
            for (index, answer) in answers.sorted(by: { $0.day < $1.day }).enumerated() {
                out += answerCard(answer, index: index, workflow: workflow, owner: owner, csrf: csrf, path: path)
            }
        }
        return out + "</section>\n"
    }

    private static func answerCard(_ answer: ConsultationSubmission, index: Int, workflow: Workflow, owner: Bool, csrf: String, path: String) -> String {
        let e = HTML.escape
        let anchor = "answer-\(index)"
        var out = "<div class=\"card\" aria-labelledby=\"\(anchor)-title\">\n<h4 id=\"\(anchor)-title\">Answer of \(e(answer.day)) for \(e(answer.requirement))</h4>\n"
        out += "<p class=\"meta\">" + (answer.person.map { "Name given: <strong>\(e($0))</strong> (confidential; recorded only if you put it in a field)" }
            ?? "Anonymous") + ". Consent given: “\(e(answer.consent))”</p>\n"
        guard let requirement = workflow.stages.lazy.flatMap(\.requirements).first(where: { $0.id == answer.requirement }),
              let type = workflow.evidenceType(requirement.type.value) else {
            out += "<p>This workflow has no evidence item \(e(answer.requirement)) any more.</p>\n"
            out += declineForm(answer, csrf: csrf, path: path, owner: owner)
            return out + "</div>\n"
        }
        guard owner else {
            out += "<dl class=\"facts\">\n"
            for field in type.fields {
                if let value = answer.fields[field.name] ?? answer.confidential[field.name] {
                    out += "<dt>\(e(field.name))" + (field.confidential ? " <em>confidential</em>" : "") + "</dt><dd>\(e(value))</dd>\n"
                }
            }
            return out + "</dl>\n</div>\n"
        }
        out += "<form class=\"act\" method=\"post\" action=\"\(path)/consultations/answers/\(HTML.segment(answer.key))/record\">\n" + HTML.hiddenCSRF(csrf) + "\n"
        out += "<p class=\"hint\">Check and complete what will be recorded; fields the person left empty are yours to fill.</p>\n"
        for field in type.fields {
            let input = "\(anchor)-\(HTML.segment(field.name))"
            let name = (field.confidential ? "confidential:" : "field:") + field.name
            var value = answer.fields[field.name] ?? answer.confidential[field.name] ?? ""
            // What the form knows already: the day it was answered, and the name given for a field meant for who took part.
            if value.isEmpty, field.type == .date, field.name == "date" { value = answer.day }
            if value.isEmpty, field.confidential, ["participants", "name", "names"].contains(field.name), let person = answer.person { value = person }
            out += "<label for=\"\(input)\">\(e(field.name))" + (field.optional ? " <span class=\"hint\">Optional.</span>" : "")
                + (field.confidential ? " <span class=\"hint\">Confidential: kept in the private disclosures, only its salted digest enters the log.</span>" : "")
                + "</label>\n"
            if case .text = field.type {
                out += "<textarea id=\"\(input)\" name=\"\(e(name))\">\(e(value))</textarea>\n"
            } else {
                out += "<input type=\"text\" id=\"\(input)\" name=\"\(e(name))\" value=\"\(e(value))\">\n"
            }
        }
        out += "<p role=\"group\" aria-label=\"Voiding approvals\"><input type=\"checkbox\" id=\"\(anchor)-void\" name=\"allow_voiding\" value=\"yes\"> "
            + "<label class=\"inline\" for=\"\(anchor)-void\">Record it even if it voids approvals already given in this visit</label></p>\n"
        out += "<button type=\"submit\">Record as evidence</button>\n</form>\n"
        out += declineForm(answer, csrf: csrf, path: path, owner: owner)
        return out + "</div>\n"
    }

    private static func declineForm(_ answer: ConsultationSubmission, csrf: String, path: String, owner: Bool) -> String {
        guard owner else { return "" }
        return "<form method=\"post\" action=\"\(path)/consultations/answers/\(HTML.segment(answer.key))/decline\">" + HTML.hiddenCSRF(csrf)
            + "<button type=\"submit\" class=\"secondary\">Decline and delete this answer</button></form>\n"
    }
}
