/// The compiled form of a workflow file: its syntax model (every value with its position, every guard as text
/// with the position of each character) in `ByteWriter`'s encoding, bound to the SHA-256 of the file it came from.
/// Reading it skips UTF-8 decoding, YAML and the decoder, which are most of what loading costs; the checker still
/// runs on what is read, so a compiled form can only ever give a workflow the checker accepts, exactly as the file
/// would.
enum CompiledWorkflow {
    /// Bumped whenever the model or the encoding changes: an older compiled form is then rebuilt from the file.
    static let format = 5
    static let magic = Array("hria compiled workflow\n".utf8)

    static func encode(_ w: WorkflowSyntax, sha256: String) -> [UInt8] {
        var out = ByteWriter()
        out.int(format)
        out.string(sha256)
        out.string(w.id)
        out.int(w.version)
        out.string(w.title)
        out.optional(w.description) { $0.string($1) }
        out.array(w.roles) { out, role in
            out.string(role.id)
            out.string(role.description)
            out.optional(role.seats) { $0.int($1) }
            span(&out, role.span)
        }
        out.array(w.facts) { out, fact in
            out.string(fact.id)
            factType(&out, fact.type)
            out.optional(fact.description) { $0.string($1) }
            span(&out, fact.span)
            out.optional(fact.report) { $0.string($1.rawValue) }
            out.bool(fact.informational)
            out.array(fact.setIn) { located(&$0, $1) }
        }
        out.array(w.evidenceTypes) { out, type in
            out.string(type.id)
            out.optional(type.description) { $0.string($1) }
            out.array(type.fields) { out, field in
                out.string(field.name)
                fieldType(&out, field.type)
                out.bool(field.optional)
                out.bool(field.confidential)
            }
            out.string(type.file.rawValue)
            span(&out, type.span)
            out.optional(type.report) { $0.string($1.rawValue) }
            out.array(type.closedStatuses) { $0.string($1) }
        }
        located(&out, w.initial)
        out.array(w.stages) { out, stage in
            out.string(stage.id)
            out.optional(stage.title) { $0.string($1) }
            out.optional(stage.description) { $0.string($1) }
            out.optional(stage.owner) { located(&$0, $1) }
            out.optional(stage.deadline) { $0.string($1.text) }
            out.optional(stage.maxVisits) { $0.int($1) }
            out.array(stage.requirements) { out, r in
                out.string(r.id)
                located(&out, r.type)
                out.int(r.min)
                out.optional(r.when) { condition(&$0, $1) }
                out.optional(r.maxAge) { $0.string($1.text) }
                out.optional(r.description) { $0.string($1) }
                span(&out, r.span)
                out.bool(r.malformedCondition)
            }
            out.array(stage.signoffs) { out, s in
                out.array(s.roles) { located(&$0, $1) }
                out.int(s.quorum)
                out.optional(s.quorumSpan) { span(&$0, $1) }
                out.bool(s.separationOfDuties)
                out.optional(s.when) { condition(&$0, $1) }
                out.optional(s.description) { $0.string($1) }
                span(&out, s.span)
                out.bool(s.malformedCondition)
            }
            out.array(stage.transitions) { out, t in
                located(&out, t.to)
                out.optional(t.when) { condition(&$0, $1) }
                out.optional(t.description) { $0.string($1) }
                span(&out, t.span)
                out.bool(t.malformedCondition)
            }
            out.bool(stage.terminal)
            out.optional(stage.outcome) { $0.string($1) }
            out.bool(stage.transitionsMalformed)
            span(&out, stage.span)
        }
        out.array(w.brokenDeclarations.sorted()) { $0.string($1) }
        out.array(w.factRules) { out, rule in
            out.string(rule.fact)
            condition(&out, rule.when)
        }
        return magic + out.bytes
    }

    /// The syntax model, if the bytes are a compiled form of this format for the file with this SHA-256.
    static func decode(_ bytes: [UInt8], sha256: String) -> WorkflowSyntax? {
        guard bytes.starts(with: magic) else { return nil }
        var input = ByteReader(Array(bytes.dropFirst(magic.count)))
        do throws(ByteReader.Damaged) {
            guard try input.int() == format, try input.string() == sha256 else { return nil }
            let syntax = try read(&input)
            return input.atEnd ? syntax : nil
        } catch {
            return nil
        }
    }

    private static func read(_ input: inout ByteReader) throws(ByteReader.Damaged) -> WorkflowSyntax {
        let id = try input.string()
        let version = try input.int()
        let title = try input.string()
        let description = try input.optional { r throws(ByteReader.Damaged) in try r.string() }
        let roles = try input.array { r throws(ByteReader.Damaged) in
            Role(id: try r.string(), description: try r.string(), seats: try r.optional { r throws(ByteReader.Damaged) in try r.int() },
                 span: try span(&r))
        }
        let facts = try input.array { r throws(ByteReader.Damaged) in
            Fact(id: try r.string(), type: try factType(&r), description: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                 span: try span(&r), report: try r.optional { r throws(ByteReader.Damaged) in try raw(FactReportRole.self, &r) },
                 informational: try r.bool(), setIn: try r.array { r throws(ByteReader.Damaged) in try located(&r) })
        }
        let evidenceTypes = try input.array { r throws(ByteReader.Damaged) in
            EvidenceType(id: try r.string(), description: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                         fields: try r.array { r throws(ByteReader.Damaged) in
                             EvidenceField(name: try r.string(), type: try fieldType(&r), optional: try r.bool(), confidential: try r.bool())
                         },
                         file: try raw(FilePolicy.self, &r), span: try span(&r),
                         report: try r.optional { r throws(ByteReader.Damaged) in try raw(EvidenceReportRole.self, &r) },
                         closedStatuses: try r.array { r throws(ByteReader.Damaged) in try r.string() })
        }
        let initial = try located(&input)
        let stages = try input.array { r throws(ByteReader.Damaged) in try stage(&r) }
        let broken = Set(try input.array { r throws(ByteReader.Damaged) in try r.string() })
        let rules = try input.array { r throws(ByteReader.Damaged) in FactRuleModel(fact: try r.string(), when: try condition(&r)) }
        return WorkflowSyntax(id: id, version: version, title: title, description: description, roles: roles, facts: facts,
                              evidenceTypes: evidenceTypes, initial: initial, stages: stages, brokenDeclarations: broken,
                              factRules: rules)
    }

    private static func stage(_ r: inout ByteReader) throws(ByteReader.Damaged) -> StageModel<GuardSource> {
        let id = try r.string()
        let title = try r.optional { r throws(ByteReader.Damaged) in try r.string() }
        let description = try r.optional { r throws(ByteReader.Damaged) in try r.string() }
        let owner = try r.optional { r throws(ByteReader.Damaged) in try located(&r) }
        let deadline = try r.optional { r throws(ByteReader.Damaged) in try duration(&r) }
        let maxVisits = try r.optional { r throws(ByteReader.Damaged) in try r.int() }
        let requirements = try r.array { r throws(ByteReader.Damaged) in
            RequirementModel<GuardSource>(id: try r.string(), type: try located(&r), min: try r.int(),
                                          when: try r.optional { r throws(ByteReader.Damaged) in try condition(&r) },
                                          maxAge: try r.optional { r throws(ByteReader.Damaged) in try duration(&r) },
                                          description: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                                          span: try span(&r), malformedCondition: try r.bool())
        }
        let signoffs = try r.array { r throws(ByteReader.Damaged) in
            SignoffRuleModel<GuardSource>(roles: try r.array { r throws(ByteReader.Damaged) in try located(&r) }, quorum: try r.int(),
                                          quorumSpan: try r.optional { r throws(ByteReader.Damaged) in try span(&r) },
                                          separationOfDuties: try r.bool(),
                                          when: try r.optional { r throws(ByteReader.Damaged) in try condition(&r) },
                                          description: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                                          span: try span(&r), malformedCondition: try r.bool())
        }
        let transitions = try r.array { r throws(ByteReader.Damaged) in
            TransitionModel<GuardSource>(to: try located(&r), when: try r.optional { r throws(ByteReader.Damaged) in try condition(&r) },
                                         description: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                                         span: try span(&r), malformedCondition: try r.bool())
        }
        return StageModel<GuardSource>(id: id, title: title, description: description, owner: owner, deadline: deadline, maxVisits: maxVisits,
                                       requirements: requirements, signoffs: signoffs, transitions: transitions, terminal: try r.bool(),
                                       outcome: try r.optional { r throws(ByteReader.Damaged) in try r.string() },
                                       transitionsMalformed: try r.bool(), span: try span(&r))
    }

    // MARK: Parts

    private static func span(_ out: inout ByteWriter, _ span: SourceSpan) {
        out.int(span.location.line)
        out.int(span.location.column)
        out.int(span.length)
        out.string(span.pointer)
    }

    private static func span(_ r: inout ByteReader) throws(ByteReader.Damaged) -> SourceSpan {
        SourceSpan(location: SourceLocation(line: try r.int(), column: try r.int()), length: try r.int(), pointer: try r.string())
    }

    private static func located(_ out: inout ByteWriter, _ value: Located<String>) {
        out.string(value.value)
        span(&out, value.span)
    }

    private static func located(_ r: inout ByteReader) throws(ByteReader.Damaged) -> Located<String> {
        Located(try r.string(), try span(&r))
    }

    private static func condition(_ out: inout ByteWriter, _ g: GuardSource) {
        out.string(g.text)
        span(&out, g.span)
        out.array(g.positions) { out, p in
            out.int(p.line)
            out.int(p.column)
        }
    }

    private static func condition(_ r: inout ByteReader) throws(ByteReader.Damaged) -> GuardSource {
        GuardSource(text: try r.string(), span: try span(&r), positions: try r.array { r throws(ByteReader.Damaged) in
            SourceLocation(line: try r.int(), column: try r.int())
        })
    }

    private static func duration(_ r: inout ByteReader) throws(ByteReader.Damaged) -> ISODuration {
        guard let d = ISODuration(try r.string()) else { throw ByteReader.Damaged() }
        return d
    }

    private static func raw<T: RawRepresentable<String>>(_ type: T.Type, _ r: inout ByteReader) throws(ByteReader.Damaged) -> T {
        guard let value = T(rawValue: try r.string()) else { throw ByteReader.Damaged() }
        return value
    }

    private static func strings(_ r: inout ByteReader) throws(ByteReader.Damaged) -> [String] {
        try r.array { r throws(ByteReader.Damaged) in try r.string() }
    }

    private static func factType(_ out: inout ByteWriter, _ type: FactType) {
        switch type {
        case .bool: out.int(0)
        case .int(let min, let max):
            out.int(1)
            out.optional(min) { $0.int($1) }
            out.optional(max) { $0.int($1) }
        case .enumeration(let values):
            out.int(2)
            out.array(values) { $0.string($1) }
        case .string: out.int(3)
        case .date: out.int(4)
        }
    }

    private static func factType(_ r: inout ByteReader) throws(ByteReader.Damaged) -> FactType {
        switch try r.int() {
        case 0: return .bool
        case 1: return .int(min: try r.optional { r throws(ByteReader.Damaged) in try r.int() },
                            max: try r.optional { r throws(ByteReader.Damaged) in try r.int() })
        case 2: return .enumeration(try strings(&r))
        case 3: return .string
        case 4: return .date
        default: throw ByteReader.Damaged()
        }
    }

    private static func fieldType(_ out: inout ByteWriter, _ type: FieldType) {
        switch type {
        case .string: out.int(0)
        case .text: out.int(1)
        case .int(let range):
            out.int(2)
            out.optional(range) { out, range in
                out.int(range.lowerBound)
                out.int(range.upperBound)
            }
        case .bool: out.int(3)
        case .date: out.int(4)
        case .enumeration(let values):
            out.int(5)
            out.array(values) { $0.string($1) }
        }
    }

    private static func fieldType(_ r: inout ByteReader) throws(ByteReader.Damaged) -> FieldType {
        switch try r.int() {
        case 0: return .string
        case 1: return .text
        case 2:
            let range = try r.optional { r throws(ByteReader.Damaged) -> ClosedRange<Int> in
                let low = try r.int(), high = try r.int()
                guard low <= high else { throw ByteReader.Damaged() }
                return low...high
            }
            return .int(range)
        case 3: return .bool
        case 4: return .date
        case 5: return .enumeration(try strings(&r))
        default: throw ByteReader.Damaged()
        }
    }
}
