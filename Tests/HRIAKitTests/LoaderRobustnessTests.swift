import Foundation
import Testing
@testable import HRIAKit
import HRIATestSupport

// The loader must never crash, hang or misplace a diagnostic, whatever bytes it is given. The shipped
// workflows are mutated with a seeded PRNG (runs reproduce: every failure names its file, kind and seed),
// and a few hostile files are loaded: a "billion laughs" alias bomb, very deep flow nesting, and a very
// large valid workflow.

enum Mutation: String, CaseIterable, Sendable {
    case deleteLine, duplicateLine, swapLines, swapValues, reindent, insertJunk, truncate, replaceCharacter

    static let junk: [[UInt8]] = [
        [0x00], [0x07], [0x08], [0x0B], [0x0C], [0x1B], [0x7F], [0x09], [0x0D], [0x0D, 0x0A],
        [0xFF], [0xFE], [0xC3], [0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
        [0xEF, 0xBB, 0xBF], [0xC2, 0x85], [0xE2, 0x80, 0xA8],
        Array(":".utf8), Array("- ".utf8), Array("[".utf8), Array("]".utf8), Array("{".utf8), Array("}".utf8),
        Array("&a ".utf8), Array("*a".utf8), Array("!!str ".utf8), Array("|".utf8), Array(">".utf8),
        Array("\"".utf8), Array("'".utf8), Array("#".utf8), Array("%".utf8), Array("@".utf8), Array("`".utf8),
        Array("? ".utf8), Array("---\n".utf8), Array("...\n".utf8), Array("<<: *x".utf8), Array("\\".utf8),
        Array("é".utf8), Array("😀".utf8),
    ]

    static let replacements: [Unicode.Scalar] = [
        ":", "-", " ", "\t", "#", "'", "\"", "[", "]", "{", "}", ",", "&", "*", "!", "|", ">", "%", "@", "`", "?",
        "\\", "x", "0", "é", "😀", "\u{2028}", "\u{85}", "\u{FEFF}", "\u{0}", "\u{7}", "\u{1B}", "\r", "\n",
    ]

    static func lines(_ bytes: [UInt8]) -> [[UInt8]] {
        bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    }

    static func join(_ lines: [[UInt8]]) -> [UInt8] { Array(lines.joined(separator: [0x0A])) }

    /// The offset just after the first ": " of a line, if the line has a value after it.
    static func valueStart(_ line: [UInt8]) -> Int? {
        guard line.count > 2 else { return nil }
        for i in 0..<(line.count - 2) where line[i] == 0x3A && line[i + 1] == 0x20 {
            return i + 2
        }
        return nil
    }

    func apply(to bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var lines = Self.lines(bytes)
        switch self {
        case .deleteLine:
            lines.remove(at: rng.below(lines.count))
            return Self.join(lines)
        case .duplicateLine:
            let i = rng.below(lines.count)
            lines.insert(lines[i], at: i + 1)
            return Self.join(lines)
        case .swapLines:
            let i = rng.below(lines.count), j = rng.below(lines.count)
            lines.swapAt(i, j)
            return Self.join(lines)
        case .swapValues:
            let candidates = lines.indices.filter { Self.valueStart(lines[$0]) != nil }
            guard candidates.count >= 2 else { return Mutation.swapLines.apply(to: bytes, &rng) }
            let i = rng.pick(candidates), j = rng.pick(candidates)
            let si = Self.valueStart(lines[i])!, sj = Self.valueStart(lines[j])!
            let vi = Array(lines[i][si...]), vj = Array(lines[j][sj...])
            lines[i] = Array(lines[i][..<si]) + vj
            lines[j] = Array(lines[j][..<sj]) + vi
            return Self.join(lines)
        case .reindent:
            let i = rng.below(lines.count)
            let delta = rng.pick([-2, -1, 1, 2])
            if delta > 0 {
                lines[i] = Array(repeating: 0x20, count: delta) + lines[i]
            } else {
                var removed = 0
                while removed < -delta, lines[i].first == 0x20 {
                    lines[i].removeFirst()
                    removed += 1
                }
            }
            return Self.join(lines)
        case .insertJunk:
            var result = bytes
            let at = rng.below(bytes.count + 1)
            var inserted: [UInt8] = []
            for _ in 0..<(1 + rng.below(4)) { inserted += rng.pick(Self.junk) }
            result.insert(contentsOf: inserted, at: at)
            return result
        case .truncate:
            return Array(bytes.prefix(rng.below(bytes.count + 1)))
        case .replaceCharacter:
            if let text = String(bytes: bytes, encoding: .utf8), !text.unicodeScalars.isEmpty {
                var scalars = Array(text.unicodeScalars)
                scalars[rng.below(scalars.count)] = rng.pick(Self.replacements)
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars)
                return Array(String(view).utf8)
            }
            guard !bytes.isEmpty else { return bytes }
            var result = bytes
            result[rng.below(result.count)] = UInt8(truncatingIfNeeded: rng.next())
            return result
        }
    }
}

@Suite("Loader robustness")
struct LoaderRobustnessTests {
    static let workflowsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("workflows")

    /// The shipped workflows: (file name, bytes).
    static func shippedWorkflows() throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: workflowsDirectory.path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        return try names.map { name in
            (name, Array(try Data(contentsOf: workflowsDirectory.appendingPathComponent(name))))
        }
    }

    /// Everything that must hold for any input; `label` says how to reproduce a failure.
    static func checkInvariants(_ bytes: [UInt8], label: String,
                                sourceLocation: Testing.SourceLocation = #_sourceLocation) -> WorkflowLoadResult {
        if ProcessInfo.processInfo.environment["HRIA_FUZZ_TRACE"] != nil {
            FileHandle.standardError.write(Data("loading \(label)\n".utf8))
        }
        let result = WorkflowLoader.load(bytes: bytes, fileName: "mutant.yaml")
        let lineCount = bytes.filter { $0 == 0x0A }.count + 1
        if result.workflow == nil {
            #expect(result.diagnostics.hasErrors, "\(label): not loaded, but no error says why", sourceLocation: sourceLocation)
        } else {
            #expect(!result.diagnostics.hasErrors, "\(label): loaded despite errors", sourceLocation: sourceLocation)
        }
        for d in result.diagnostics {
            #expect((1...(lineCount + 1)).contains(d.location.line),
                    "\(label): \(d.rule) at \(d.location) outside \(lineCount) lines: \(d.message)", sourceLocation: sourceLocation)
            #expect(d.location.column >= 1, "\(label): \(d.rule) at \(d.location): \(d.message)", sourceLocation: sourceLocation)
            #expect(d.length >= 1, "\(label)", sourceLocation: sourceLocation)
            let rendered = DiagnosticRenderer.text(d, source: result.source)
            #expect(rendered.hasPrefix("mutant.yaml:\(d.location.line):\(d.location.column): "), sourceLocation: sourceLocation)
        }
        _ = DiagnosticRenderer.json(result.diagnostics)
        _ = DiagnosticRenderer.summary(result.diagnostics)
        return result
    }

    @Test("the shipped workflows exist and load without errors")
    func shippedWorkflowsLoad() throws {
        let workflows = try Self.shippedWorkflows()
        try #require(!workflows.isEmpty, "no workflows/*.yaml found in \(Self.workflowsDirectory.path)")
        for (name, bytes) in workflows {
            let result = Self.checkInvariants(bytes, label: name)
            #expect(result.workflow != nil, "\(name): \(result.diagnostics.filter { $0.severity == .error }.map(\.message))")
        }
    }

    static let mutantsPerFileAndKind = 13

    @Test("seeded mutants of the shipped workflows load or are refused with located errors", arguments: Mutation.allCases)
    func mutants(_ kind: Mutation) throws {
        let workflows = try Self.shippedWorkflows()
        try #require(!workflows.isEmpty, "no workflows/*.yaml found in \(Self.workflowsDirectory.path)")
        var count = 0, refused = 0
        for (fileIndex, (name, original)) in workflows.enumerated() {
            for n in 0..<Self.mutantsPerFileAndKind {
                let seed = UInt64(fileIndex) << 32 | UInt64(Mutation.allCases.firstIndex(of: kind)!) << 16 | UInt64(n)
                var rng = SplitMix64(seed: seed)
                var mutant = kind.apply(to: original, &rng)
                var applied = [kind.rawValue]
                // A quarter of the mutants get a second, random mutation on top.
                if rng.below(4) == 0 {
                    let extra = rng.pick(Mutation.allCases)
                    mutant = extra.apply(to: mutant, &rng)
                    applied.append(extra.rawValue)
                }
                let label = "\(name) seed 0x\(String(seed, radix: 16)) [\(applied.joined(separator: "+"))]"
                let result = Self.checkInvariants(mutant, label: label)
                if mutant == original {
                    // an identity "mutation" (a line swapped with itself, no spaces to remove) changes nothing
                    #expect(result.workflow != nil, "\(label): unchanged file refused")
                }
                count += 1
                if result.workflow == nil { refused += 1 }
            }
        }
        #expect(count == workflows.count * Self.mutantsPerFileAndKind)
        // Mutations that always break a file must be refused at least sometimes; a loader that accepts
        // everything is not checking anything.
        if kind == .insertJunk || kind == .truncate {
            #expect(refused > 0)
        }
    }

    @Test("at least 300 mutants are tried in all")
    func mutantBudget() throws {
        let workflows = try Self.shippedWorkflows()
        #expect(workflows.count * Mutation.allCases.count * Self.mutantsPerFileAndKind >= 300)
    }

    @Test("the PRNG is deterministic")
    func prngIsDeterministic() {
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        // Reference values of SplitMix64 for seed 0.
        var zero = SplitMix64(seed: 0)
        #expect(zero.next() == 0xE220_A839_7B1D_CDAF)
        #expect(zero.next() == 0x6E78_9E6A_A1B9_65F4)
    }

    // MARK: Hostile files

    @Test("a billion-laughs alias bomb is refused quickly")
    func billionLaughs() {
        var text = "schema: hria.workflow/v1\nid: lol\nversion: 1\ntitle: lol\n"
        text += "l0: &l0 [" + Array(repeating: "\"lol\"", count: 10).joined(separator: ", ") + "]\n"
        for level in 1...8 {
            text += "l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        text += "roles: { a: { description: *l8 } }\n"
        let start = ContinuousClock.now
        let result = Self.checkInvariants(Array(text.utf8), label: "billion laughs")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.contains { $0.rule == "yaml-alias-limit" })
        #expect(ContinuousClock.now - start < .seconds(60))
    }

    @Test("more than 100 aliases are refused")
    func tooManyAliases() {
        var text = "schema: hria.workflow/v1\nid: lol\nversion: 1\ntitle: &t lol\ndescription: ["
        text += Array(repeating: "*t", count: 101).joined(separator: ", ") + "]\n"
        let result = Self.checkInvariants(Array(text.utf8), label: "101 aliases")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.contains { $0.rule == "yaml-alias-limit" })
    }

    static let deepNesting = 10_000

    // libyaml (inside Yams) refuses more than 1,000 levels of nesting with a syntax error, so 10,000 levels do
    // not reach the recursive composer; 990 levels do, and go through the loader's own tree walks.
    @Test("deeply nested flow sequences do not crash the loader", arguments: [deepNesting, 990])
    func deepFlowNesting(_ depth: Int) {
        let text = "schema: hria.workflow/v1\nid: deep\nversion: 1\ntitle: deep\nroles: "
            + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        let result = Self.checkInvariants(Array(text.utf8), label: "\(depth) nested flow sequences")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.hasErrors)
        if depth > 1_000 {
            #expect(result.diagnostics.contains { $0.rule == "yaml-syntax" && $0.message.contains("nest") },
                    "\(result.diagnostics.map(\.message))")
        } else {
            #expect(result.diagnostics.contains { $0.rule == "wrong-type" && $0.pointer == "/roles" },
                    "\(result.diagnostics.map { "\($0.rule) \($0.pointer) \($0.message)" })")
        }
    }

    @Test("deeply nested block sequences do not crash the loader", arguments: [deepNesting, 990])
    func deepBlockNesting(_ depth: Int) {
        // compact nesting: "- - - x" is three block sequences, one inside the other
        let text = "schema: hria.workflow/v1\nid: deep\nversion: 1\ntitle: deep\nroles:\n"
            + String(repeating: "- ", count: depth) + "x\n"
        let result = Self.checkInvariants(Array(text.utf8), label: "\(depth) nested block sequences")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.hasErrors)
    }

    static func guardWorkflow(_ guardText: String) -> String {
        """
        schema: hria.workflow/v1
        id: deep
        version: 1
        title: deep
        roles:
          assessor: { description: a }
        facts:
          flag: { type: bool }
        initial: review
        stages:
          review:
            owner: assessor
            transitions:
              - to: done
                when: '\(guardText)'
              - to: done
          done: { terminal: true, outcome: proceed }

        """
    }

    static func nestedGuard(_ kind: String, _ depth: Int) -> String {
        switch kind {
        case "parentheses": String(repeating: "(", count: depth) + "facts.flag" + String(repeating: ")", count: depth)
        case "negations": String(repeating: "!", count: depth) + "facts.flag"
        case "lists": String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + " != []"
        case "or-chain": Array(repeating: "facts.flag", count: depth).joined(separator: " || ")
        case "sum-chain": Array(repeating: "1", count: depth).joined(separator: " + ") + " > 0"
        default: Array(repeating: "facts.flag ? true :", count: depth).joined(separator: " ") + " false"
        }
    }

    @Test("moderately nested guards load, check and evaluate",
          arguments: ["parentheses", "negations", "lists", "conditionals", "or-chain", "sum-chain"])
    func nestedGuards(_ kind: String) throws {
        let depth = 50 // even, so the negations cancel out
        let result = Self.checkInvariants(Array(Self.guardWorkflow(Self.nestedGuard(kind, depth)).utf8), label: "\(kind) \(depth)")
        let checked = try #require(result.workflow?.stages.first?.transitions.first?.when?.typed,
                                   "\(result.diagnostics.map(\.message))")
        let evaluation = GuardEvaluator.evaluate(checked, input: FakeGuardInput(facts: ["flag": .bool(true)]))
        #expect(evaluation.result == .success(true))
    }

    // A 20 KB guard is far below the 8 MiB file limit, but a recursive-descent parser recurses once or more per
    // nesting level. Without a bound the process dies with SIGSEGV (`hria workflow lint` exited 139 on a guard of
    // 5,000 nested parentheses before GuardParser got its nesting limit); the guard must be refused instead.
    @Test("deeply nested guards are refused, not a crash", arguments: ["parentheses", "negations", "lists", "conditionals"])
    func deeplyNestedGuards(_ kind: String) {
        let depth = Self.deepNesting
        let result = Self.checkInvariants(Array(Self.guardWorkflow(Self.nestedGuard(kind, depth)).utf8), label: "\(kind) \(depth)")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.contains { $0.rule == "guard-syntax" })
    }

    @Test("deeply nested flow mappings do not crash the loader")
    func deepFlowMappingNesting() {
        let depth = Self.deepNesting
        let text = "schema: hria.workflow/v1\nid: deep\nversion: 1\ntitle: deep\nroles: "
            + String(repeating: "{a: ", count: depth) + "x" + String(repeating: "}", count: depth) + "\n"
        let result = Self.checkInvariants(Array(text.utf8), label: "\(depth) nested flow mappings")
        #expect(result.workflow == nil)
        #expect(result.diagnostics.hasErrors)
    }

    // A flat chain `a || a || ... || a` is not nested in the text, so the parser's nesting limit does not stop
    // it, but it parses into a left-deep tree that the type checker (and the evaluator, and TypedGuard.visit)
    // walk recursively, one level per operator.
    @Test("long operator chains load or are refused, not a crash",
          arguments: ["or-chain", "sum-chain"])
    func longOperatorChains(_ kind: String) {
        let result = Self.checkInvariants(Array(Self.guardWorkflow(Self.nestedGuard(kind, 10_000)).utf8), label: "\(kind) 10000")
        if let checked = result.workflow?.stages.first?.transitions.first?.when?.typed {
            let evaluation = GuardEvaluator.evaluate(checked, input: FakeGuardInput(facts: ["flag": .bool(true)]))
            #expect(evaluation.result == .success(true))
        } else {
            #expect(result.diagnostics.contains { $0.rule == "guard-syntax" })
        }
    }

    // MARK: Line breaks

    static func lineBreakWorkflow(_ lineBreak: String) -> String {
        // `to: dne` is on line 13, column 13, whatever the description contains.
        """
        schema: hria.workflow/v1
        id: breaks
        version: 1
        title: Line breaks
        roles:
          assessor: { description: Runs it }
        initial: review
        stages:
          review:
            owner: assessor
            description: "first\(lineBreak)second"
            transitions:
              - to: dne
              - to: done
          done: { terminal: true, outcome: proceed }

        """
    }

    static func undefinedStageLocation(_ lineBreak: String) -> HRIAKit.SourceLocation? {
        let result = checkInvariants(Array(lineBreakWorkflow(lineBreak).utf8), label: "line break \(lineBreak.debugDescription)")
        return result.diagnostics.first { $0.rule == "undefined-stage" }?.location
    }

    @Test("positions after ordinary text are exact (control for the line-break cases)", arguments: ["", " ", "\t", "é"])
    func positionsAfterText(_ text: String) {
        #expect(Self.undefinedStageLocation(text) == HRIAKit.SourceLocation(line: 13, column: 13))
    }

    @Test("positions after a character libyaml reads as a line break",
          arguments: ["\r", "\u{85}", "\u{2028}", "\u{2029}"])
    func positionsAfterUnusualLineBreaks(_ lineBreak: String) {
        #expect(Self.undefinedStageLocation(lineBreak) == HRIAKit.SourceLocation(line: 13, column: 13))
    }

    @Test("a generated 5,000-stage workflow loads with no errors")
    func hugeWorkflow() {
        let stages = 5_000
        var text = """
            schema: hria.workflow/v1
            id: huge
            version: 1
            title: A very long chain of stages
            roles:
              assessor: { description: Runs every stage }
              approver: { description: Signs every stage }
            facts:
              skip: { type: bool }
              tier: { type: enum, values: [low, moderate, substantial, high] }
            evidence_types:
              document: { fields: { title: string, pages: int(1..999) } }
            initial: s0
            stages:

            """
        for i in 0..<stages {
            let next = i + 1 < stages ? "s\(i + 1)" : "done"
            text += """
                  s\(i):
                    owner: assessor
                    requires:
                      - { id: doc_\(i), type: document, min: 0, when: 'facts.tier in ["substantial", "high"]' }
                    signoff: { roles: [approver] }
                    transitions:
                      - { to: done, when: 'facts.skip && evidence.doc_\(i).all(d, d.pages > 0)' }
                      - { to: \(next) }

                """
        }
        text += "  done: { terminal: true, outcome: proceed }\n"
        let start = ContinuousClock.now
        let result = Self.checkInvariants(Array(text.utf8), label: "5,000 stages")
        let elapsed = ContinuousClock.now - start
        #expect(result.diagnostics.filter { $0.severity == .error }.prefix(5).map { "\($0.location) \($0.rule): \($0.message)" } == [])
        #expect(result.workflow?.stages.count == stages + 1)
        // Generous, so a busy machine does not fail it; it catches quadratic blow-ups (about 5 s in debug when idle).
        #expect(elapsed < .seconds(120), "loading took \(elapsed)")
    }
}



