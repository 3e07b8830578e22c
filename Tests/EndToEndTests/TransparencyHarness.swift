import Foundation
import HRIAKit
import Testing
import HRIATestSupport

// Shared helpers of the transparency tests (ReportTests, LeakTests, BundleTests): a small workflow whose first
// stage hears people in confidence and records a safety exception, the confidential values planted in it and
// every byte form a leak of them could take, a workspace built from it once and copied per test, and a
// structural audit of generated HTML (tokenised by Python's html.parser, checked here).

// MARK: - The planted confidential values

/// Confidential values that appear nowhere else, so finding any of their bytes in a public place is a leak.
enum Planted {
    static let participant = "Zyxwvut Qplmokn"
    /// Non-ASCII (with combining marks), a double quote and backslashes: every escaping path gets exercised.
    static let elder = "Ngozi \u{1EB8}\u{0300}k\u{1ECD}\u{0301} \"the elder\" \\ C:\\path"
    static let statement = "whispered testimony 7f3a9"
    static let details = "Dossier Vqkzj 88: the village and the speakers"
    static let participant2 = "Tkv Brmqx"
    static let statement2 = "second statement qq9z"

    static let values = [participant, elder, statement, details, participant2, statement2]

    /// Distinctive pieces of the values: a partial or truncated echo is a leak too.
    static let tokens = ["Zyxwvut", "Qplmokn", "7f3a9", "whispered testimony", "\u{1EB8}\u{0300}k\u{1ECD}\u{0301}",
                         "the elder", "Vqkzj", "Tkv Brmqx", "qq9z"]

    /// Every byte sequence under which a value could show: raw UTF-8 (as given, NFC and NFD), JSON-escaped
    /// (with non-ASCII kept, or as lower- or upper-case \u escapes), and HTML-escaped. Compared as bytes: Swift
    /// strings would treat the NFC and NFD forms as equal.
    static func forms(_ value: String) -> [String] {
        var forms: [String] = []
        for v in [value, value.precomposedStringWithCanonicalMapping, value.decomposedStringWithCanonicalMapping] {
            forms += [v, jsonEscaped(v, asciiOnly: false), jsonEscaped(v, asciiOnly: true), jsonEscaped(v, asciiOnly: true, upperHex: true),
                      htmlEscaped(v), htmlEscaped(v).replacingOccurrences(of: "&quot;", with: "&#34;")]
        }
        var seen = Set<Data>()
        return forms.filter { seen.insert(Data($0.utf8)).inserted }
    }

    static func jsonEscaped(_ text: String, asciiOnly: Bool, upperHex: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0..<0x20: out += String(format: "\\u%04x", scalar.value)
            case 0x80... where asciiOnly:
                for unit in String(scalar).utf16 { out += String(format: upperHex ? "\\u%04X" : "\\u%04x", unit) }
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}

/// Looks for labelled byte sequences in bytes.
struct LeakScanner {
    var needles: [(label: String, bytes: Data)] = []

    /// Every form of every planted value and token.
    static func planted() -> LeakScanner {
        var scanner = LeakScanner()
        for value in Planted.values {
            for form in Planted.forms(value) { scanner.add("planted value \"\(value)\" as \"\(form)\"", form) }
        }
        for token in Planted.tokens {
            for form in Planted.forms(token) { scanner.add("planted token \"\(token)\" as \"\(form)\"", form) }
        }
        return scanner
    }

    mutating func add(_ label: String, _ text: String) {
        guard !text.isEmpty, !needles.contains(where: { $0.bytes == Data(text.utf8) }) else { return }
        needles.append((label, Data(text.utf8)))
    }

    /// The labels of the needles found in `data`.
    func find(in data: Data) -> [String] {
        needles.filter { data.range(of: $0.bytes) != nil }.map(\.label)
    }

    func find(in text: String) -> [String] { find(in: Data(text.utf8)) }
}

// MARK: - Disclosures, decoded independently of HRIAKit

/// One stored disclosure: `base64url(JSON [salt, name, value])`, named by `base64url(SHA-256(disclosure))`.
struct StoredDisclosure {
    var file: URL
    var encoded: String
    var salt: String
    var name: String
    var value: String

    var fileName: String { file.lastPathComponent }
    var digest: String { IndependentBase64URL.encode(Digest.sha256(Data(encoded.utf8))) }

    static func all(in assessment: URL) throws -> [StoredDisclosure] {
        let folder = assessment.appendingPathComponent("private/disclosures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return try names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            let url = folder.appendingPathComponent(name)
            let encoded = try String(contentsOf: url, encoding: .utf8)
            guard let json = IndependentBase64URL.decode(encoded),
                  let array = try JSONSerialization.jsonObject(with: json) as? [Any], array.count == 3,
                  let salt = array[0] as? String, let field = array[1] as? String, let value = array[2] as? String else {
                throw HarnessError("private/disclosures/\(name) is not base64url of [salt, name, value]: \(encoded)")
            }
            return StoredDisclosure(file: url, encoded: encoded, salt: salt, name: field, value: value)
        }
    }

    /// The same disclosure with another value and the same salt: what someone altering it would hand over.
    func altered(value newValue: String) throws -> String {
        let json = try JSONSerialization.data(withJSONObject: [salt, name, newValue], options: [.withoutEscapingSlashes])
        return IndependentBase64URL.encode(json)
    }

    /// A disclosure given as text, with " (edited)" added to its value and the same salt, re-encoded the way hria
    /// encodes one.
    static func altered(_ encoded: String) throws -> String {
        guard let json = IndependentBase64URL.decode(encoded), let array = try JSONSerialization.jsonObject(with: json) as? [String],
              array.count == 3 else {
            throw HarnessError("not a disclosure: \(encoded)")
        }
        let changed = try JSONSerialization.data(withJSONObject: [array[0], array[1], array[2] + " (edited)"],
                                                 options: [.withoutEscapingSlashes])
        return IndependentBase64URL.encode(changed)
    }
}

// MARK: - The hearing workflow and its fixture

/// A one-stage workflow that hears people in confidence (participants, statement and a confidential date)
/// and records a safety exception whose details are confidential; it ends as soon as the stage is signed off.
enum Hearing {
    static let id = "hearing"
    static let origin = "transparency.example/hria"
    /// A partner name that HTML and Markdown must escape.
    static let partner = "Acme <Corp> & \"Sons\""
    static let title = "Hearing of the village residents"

    static let workflow = """
    schema: hria.workflow/v1
    id: hearing
    version: 1
    title: Hearing with a safety exception
    description: A short workflow whose first stage hears affected people in confidence.
    roles:
      assessor: { description: Runs the hearing }
      hr_lead: { description: Reviews the hearing }
    facts:
      safety_exception: { type: bool, description: Publishing would put people at risk, report: safety_exception }
      tier: { type: enum, values: [low, moderate, substantial, high], report: risk_tier }
    evidence_types:
      consultation:
        report: consultations
        fields:
          date: date
          group: string
          method: string
          held_on: date
        confidential: [participants, statement, held_on]
      safety_exception:
        report: safety_exception
        fields:
          reason_category: enum(reprisal_risk|staff_safety|legal_confidentiality)
          review_on: date
        confidential: [details]
    initial: hearing
    stages:
      hearing:
        title: Hearing affected people
        owner: assessor
        requires:
          - { id: consultations, type: consultation, min: 1 }
          - { id: safety_record, type: safety_exception, when: facts.safety_exception }
        signoff:
          - { roles: [hr_lead] }
        transitions:
          - { to: decided, when: 'has(facts.tier)' }
      decided: { terminal: true, outcome: approved }
    """

    /// The public fields of the two consultations, as the reports must show them.
    static let consultations = [(date: "2026-01-20", group: "Village residents", method: "Closed meeting"),
                                (date: "2026-01-22", group: "Women's cooperative", method: "Interviews")]

    static let day1 = "2026-02-02T09:00:00Z", day2 = "2026-02-03T09:00:00Z", day3 = "2026-02-04T09:00:00Z"
    /// The moment reports of the fixture are generated at.
    static let reportTime = "2026-02-10T12:00:00Z"
    /// Events: created #0, facts #1, consultation #2 (4 confidential values), consultation with a file #3
    /// (3 values), safety exception #4 (1 value), sign-off #5, advance #6, decision #7.
    static let firstConsultationSeq = 2, secondConsultationSeq = 3, safetySeq = 4, eventCount = 8

    /// A workspace made by `hria init` in a new temporary folder (or in `parent`), with the workflow and a public
    /// minutes file, and no assessment yet.
    static func initialised(_ name: String, in parent: URL? = nil, folder: String = "ws", mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        let ws = try TestWorkspace.initialised(name, in: parent, folder: folder, organisation: "Transparency Test Office", origin: origin,
                                               workflows: [id: workflow], assessment: id, mode: mode)
        try "Minutes of the interviews: public part only.\n".write(to: ws.root.appendingPathComponent("minutes.txt"), atomically: true,
                                                                   encoding: .utf8)
        return ws
    }

    /// The writing steps of the fixture, each with its actor and time.
    static let steps: [(arguments: [String], actor: String, now: String)] = [
        (["new", id, "--workflow", "hearing", "--partner", partner, "--title", title], "amina", day1),
        (["fact", id, "safety_exception=true", "tier=high", "--reason", "Naming the village would expose the speakers"], "amina", day1),
        (["evidence", "add", id, "consultations", "--field", "date=\(consultations[0].date)", "--field", "group=\(consultations[0].group)",
          "--field", "method=\(consultations[0].method)", "--confidential", "participants=\(Planted.participant)",
          "--confidential", "participants=\(Planted.elder)", "--confidential", "statement=\(Planted.statement)",
          "--confidential", "held_on=2026-01-19"], "amina", day1),
        (["evidence", "add", id, "consultations", "--file", "minutes.txt", "--field", "date=\(consultations[1].date)",
          "--field", "group=\(consultations[1].group)", "--field", "method=\(consultations[1].method)",
          "--confidential", "participants=\(Planted.participant2)", "--confidential", "statement=\(Planted.statement2)",
          "--confidential", "held_on=2026-01-21"], "amina", day2),
        (["evidence", "add", id, "safety_record", "--field", "reason_category=reprisal_risk", "--field", "review_on=2026-07-01",
          "--confidential", "details=\(Planted.details)"], "amina", day2),
        (["signoff", id, "--approve", "--comment", "Heard safely; nobody can be identified from the record."], "kofi", day3),
        (["advance", id], "amina", day3),
    ]

    /// Runs the first `count` steps of the fixture.
    static func record(_ count: Int, in ws: TestWorkspace) throws {
        for step in steps.prefix(count) {
            let result = try ws.run(step.arguments, as: step.actor, at: step.now)
            guard result.status == 0 else {
                throw HarnessError("hria \(step.arguments.joined(separator: " ")): exit \(result.status): \(result.stderr)")
            }
        }
    }

    /// A new workspace whose hearing assessment is open at its first stage (created, facts set, no evidence yet).
    static func open(_ name: String) throws -> TestWorkspace {
        let ws = try initialised(name)
        try record(2, in: ws)
        return ws
    }

    /// The ended fixture, once per test process and mode (built locally; in `.server` mode everyone has a key).
    private static let template = TestWorkspace.templates("hria-hearing-template") { parent, mode in
        // A digest that starts with "-" cannot be passed to `hria erase` as a plain argument (see BundleTests,
        // eraseDigestStartingWithDash); build again until none does, so the other tests do not depend on luck.
        for attempt in 1...20 {
            let ws = try initialised("hria-hearing-template", in: parent, folder: "ws\(attempt)", mode: mode).through(.local)
            try record(steps.count, in: ws)
            let names = try StoredDisclosure.all(in: ws.assessment()).map(\.fileName)
            if !names.contains(where: { $0.hasPrefix("-") }) { return ws.root }
        }
        throw HarnessError("every build of the hearing fixture had a digest starting with -")
    }

    /// A fresh copy of the ended fixture assessment, in its own temporary folder, its commands acting in `mode`.
    static func copy(_ name: String = "hria-hearing", mode: TestWorkspace.Mode = .local) throws -> TestWorkspace {
        try TestWorkspace.copy(of: template, name, assessment: id, mode: mode)
    }
}

// MARK: - HTML audit

/// Checks generated HTML the way a reviewer would: it is tokenised by Python's html.parser (an independent,
/// standard HTML5-tolerant tokenizer), built into a tree here, and checked for structure, accessibility, safety
/// (no scripts, no event handlers, nothing fetched from anywhere) and colour contrast.
enum HTMLAudit {
    final class Node {
        let tag: String
        var attributes: [(name: String, value: String?)]
        var children: [Node] = []
        var text: String
        let line: Int
        weak var parent: Node?

        init(tag: String, attributes: [(String, String?)] = [], text: String = "", line: Int = 0) {
            self.tag = tag
            self.attributes = attributes
            self.text = text
            self.line = line
        }

        func attribute(_ name: String) -> String? {
            attributes.first { $0.name == name }.flatMap { $0.value ?? "" }
        }

        var elements: [Node] { children.filter { $0.tag != "#text" } }

        /// This node and every node below it, in document order.
        var all: [Node] { [self] + children.flatMap(\.all) }

        func descendants(_ tag: String) -> [Node] { all.dropFirst().filter { $0.tag == tag } }

        var textContent: String { tag == "#text" ? text : children.map(\.textContent).joined() }
    }

    struct Document {
        var doctype: String?
        var root: Node
        /// Problems found while building the tree (mis-nesting, unclosed elements, comments, processing instructions).
        var problems: [String]
        var styleText: String { root.descendants("style").map(\.textContent).joined(separator: "\n") }
    }

    static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
                                            "source", "track", "wbr"]

    static let tokenizer = """
    import sys, json
    from html.parser import HTMLParser
    class P(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.t = []
        def add(self, kind, name, attrs=()):
            self.t.append([kind, name, [[k, v] for k, v in attrs], self.getpos()[0]])
        def handle_starttag(self, tag, attrs): self.add("start", tag, attrs)
        def handle_startendtag(self, tag, attrs): self.add("empty", tag, attrs)
        def handle_endtag(self, tag): self.add("end", tag)
        def handle_data(self, data): self.add("text", data)
        def handle_decl(self, decl): self.add("decl", decl)
        def handle_comment(self, data): self.add("comment", data)
        def handle_pi(self, data): self.add("pi", data)
        def unknown_decl(self, data): self.add("unknown", data)
    p = P()
    p.feed(sys.stdin.buffer.read().decode("utf-8"))
    p.close()
    sys.stdout.write(json.dumps(p.t))
    """

    /// Tokenises with python3 and builds the tree, reporting mis-nested or unclosed elements.
    static func parse(_ html: String) throws -> Document {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", tokenizer]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw HarnessError("python3 is needed to tokenise HTML (html.parser): \(error)")
        }
        // Write and read concurrently so a large document cannot fill a pipe and block both sides.
        let group = DispatchGroup()
        let queue = DispatchQueue(label: "hria.e2e.html", attributes: .concurrent)
        nonisolated(unsafe) var outBox = Data(), errorBox = Data()
        group.enter()
        queue.async { input.fileHandleForWriting.write(Data(html.utf8)); try? input.fileHandleForWriting.close(); group.leave() }
        group.enter()
        queue.async { outBox = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        queue.async { errorBox = errors.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.wait()
        process.waitUntilExit()
        let data = outBox, errorData = errorBox
        guard process.terminationStatus == 0,
              let tokens = try JSONSerialization.jsonObject(with: data) as? [[Any]] else {
            throw HarnessError("python3 html.parser failed (exit \(process.terminationStatus)): \(String(decoding: errorData, as: UTF8.self))")
        }
        let document = Node(tag: "#document")
        var stack = [document]
        var problems: [String] = []
        var doctype: String?
        for token in tokens {
            guard token.count == 4, let kind = token[0] as? String, let name = token[1] as? String,
                  let rawAttributes = token[2] as? [[Any]], let line = token[3] as? Int else {
                problems.append("unexpected token \(token)")
                continue
            }
            let attributes: [(String, String?)] = rawAttributes.map { pair in (pair[0] as? String ?? "", pair[1] as? String) }
            let top = stack[stack.count - 1]
            switch kind {
            case "decl":
                if doctype == nil, document.elements.isEmpty { doctype = name } else { problems.append("line \(line): a second declaration <!\(name)>") }
            case "text":
                let node = Node(tag: "#text", text: name, line: line)
                node.parent = top
                top.children.append(node)
            case "start", "empty":
                let node = Node(tag: name, attributes: attributes, line: line)
                node.parent = top
                top.children.append(node)
                if kind == "start", !voidElements.contains(name) { stack.append(node) }
            case "end":
                if voidElements.contains(name) {
                    problems.append("line \(line): end tag </\(name)> of a void element")
                } else if top.tag == name {
                    stack.removeLast()
                } else {
                    problems.append("line \(line): </\(name)> closes <\(top.tag)> (opened at line \(top.line))")
                    if let index = stack.lastIndex(where: { $0.tag == name }), index > 0 { stack.removeSubrange(index...) }
                }
            case "comment":
                problems.append("line \(line): an HTML comment (none expected in generated reports)")
            default:
                problems.append("line \(line): unexpected \(kind) \(name)")
            }
        }
        for open in stack.dropFirst() { problems.append("<\(open.tag)> opened at line \(open.line) is never closed") }
        return Document(doctype: doctype, root: document, problems: problems)
    }

    // MARK: Colours

    static func rgb(_ text: String) -> (Double, Double, Double)? {
        var hex = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard hex.hasPrefix("#") else { return nil }
        hex.removeFirst()
        if hex.count == 3 { hex = hex.map { "\($0)\($0)" }.joined() }
        guard hex.count == 6, let value = Int(hex, radix: 16) else { return nil }
        return (Double((value >> 16) & 0xff), Double((value >> 8) & 0xff), Double(value & 0xff))
    }

    /// WCAG 2.x relative luminance and contrast ratio.
    static func contrast(_ a: String, _ b: String) -> Double? {
        func luminance(_ c: (Double, Double, Double)) -> Double {
            func channel(_ v: Double) -> Double {
                let s = v / 255
                return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * channel(c.0) + 0.7152 * channel(c.1) + 0.0722 * channel(c.2)
        }
        guard let x = rgb(a), let y = rgb(b) else { return nil }
        let (l1, l2) = (luminance(x), luminance(y))
        return (max(l1, l2) + 0.05) / (min(l1, l2) + 0.05)
    }

    struct CSSRule {
        var selector: String
        var declarations: [String: String]
    }

    /// The style rules of a stylesheet (rules inside @media blocks included, with their own selectors).
    static func rules(_ css: String) -> [CSSRule] {
        var text = css
        while let start = text.range(of: "/*"), let end = text.range(of: "*/", range: start.upperBound..<text.endIndex) {
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        let pattern = try! NSRegularExpression(pattern: "([^{}]+)\\{([^{}]*)\\}")
        let ns = text as NSString
        return pattern.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            let selector = ns.substring(with: match.range(at: 1)).trimmingCharacters(in: .whitespacesAndNewlines)
            var declarations: [String: String] = [:]
            for part in ns.substring(with: match.range(at: 2)).split(separator: ";") {
                guard let colon = part.firstIndex(of: ":") else { continue }
                declarations[part[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                    part[part.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return CSSRule(selector: selector, declarations: declarations)
        }
    }

    /// The colour in a `background` or `color` value (the first hex colour), or nil.
    static func colour(in value: String?) -> String? {
        guard let value else { return nil }
        let pattern = try! NSRegularExpression(pattern: "#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\\b")
        let ns = value as NSString
        return pattern.firstMatch(in: value, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range).lowercased() }
    }

    struct ContrastPair: Hashable {
        var context: String
        var foreground: String
        var background: String
        var ratio: Double
    }

    /// Text/background pairs of the stylesheet: each rule's colour on its background, an unset one taken from the
    /// page (`:root`, `html` or `body`), plus every SVG text fill on every SVG box fill.
    static func contrastPairs(_ document: Document) -> (pairs: [ContrastPair], problems: [String]) {
        let all = rules(document.styleText)
        var problems: [String] = []
        let page = all.filter { [":root", "html", "body"].contains($0.selector) }
        let pageForeground = page.compactMap { $0.declarations["color"] }.last.flatMap { colour(in: $0) } ?? "#000000"
        let pageBackground = page.compactMap { $0.declarations["background"] ?? $0.declarations["background-color"] }.last
            .flatMap { colour(in: $0) } ?? "#ffffff"
        var pairs: [ContrastPair] = []
        for rule in all {
            let colourValue = rule.declarations["color"]
            let backgroundValue = rule.declarations["background"] ?? rule.declarations["background-color"]
            guard colourValue != nil || backgroundValue != nil else { continue }
            if let colourValue, colour(in: colourValue) == nil, !["inherit", "currentcolor"].contains(colourValue.lowercased()) {
                problems.append("\(rule.selector): color \(colourValue) is not a hex colour, so its contrast cannot be checked")
            }
            if let backgroundValue, colour(in: backgroundValue) == nil, backgroundValue.lowercased() != "none" {
                problems.append("\(rule.selector): background \(backgroundValue) is not a hex colour, so its contrast cannot be checked")
            }
            let fg = colour(in: colourValue) ?? pageForeground, bg = colour(in: backgroundValue) ?? pageBackground
            if let ratio = contrast(fg, bg) { pairs.append(ContrastPair(context: "CSS \(rule.selector)", foreground: fg, background: bg, ratio: ratio)) }
        }
        for svg in document.root.descendants("svg") {
            let boxes = Set(svg.descendants("rect").compactMap { colour(in: $0.attribute("fill")) })
            for text in svg.descendants("text") {
                let fill = colour(in: text.attribute("fill")) ?? "#000000"
                for box in boxes.sorted() {
                    if let ratio = contrast(fill, box) {
                        pairs.append(ContrastPair(context: "SVG text \"\(text.textContent.prefix(30))\"", foreground: fill, background: box,
                                                  ratio: ratio))
                    }
                }
            }
        }
        return (pairs, problems)
    }

    // MARK: The audit

    /// Every problem of a generated report: an empty list means it passes. `svg` says whether an inline diagram
    /// is expected.
    static func problems(_ html: String, svg expectSVG: Bool) throws -> [String] {
        let document = try parse(html)
        var problems = document.problems
        let root = document.root
        let nodes = root.all.dropFirst().filter { $0.tag != "#text" }

        if document.doctype?.lowercased() != "doctype html" { problems.append("the document does not start with <!DOCTYPE html>") }
        let htmls = root.elements.filter { $0.tag == "html" }
        if htmls.count != 1 || root.elements.count != 1 { problems.append("the document is not one <html> element") }
        if let html = htmls.first {
            if html.attribute("lang") != "en" { problems.append("<html> has lang=\(html.attribute("lang") ?? "nothing"), not lang=\"en\"") }
            let heads = html.elements.filter { $0.tag == "head" }, bodies = html.elements.filter { $0.tag == "body" }
            if heads.count != 1 || bodies.count != 1 { problems.append("<html> does not hold one <head> and one <body>") }
            if let head = heads.first {
                let charsets = head.descendants("meta").compactMap { $0.attribute("charset") }
                if charsets.map({ $0.lowercased() }) != ["utf-8"] { problems.append("<head> has no single <meta charset=\"utf-8\">: \(charsets)") }
                if head.descendants("title").first?.textContent.trimmingCharacters(in: .whitespaces).isEmpty ?? true {
                    problems.append("<head> has no non-empty <title>")
                }
                if head.descendants("style").isEmpty { problems.append("no inline <style> in <head>") }
            }
        }

        // Nothing that runs, nothing fetched: no scripts, handlers, external resources or embedded documents.
        let forbidden: Set<String> = ["script", "noscript", "link", "iframe", "frame", "frameset", "object", "embed", "applet", "img",
                                      "picture", "source", "audio", "video", "base", "form", "input", "button", "template", "use",
                                      "image", "foreignobject"]
        for node in nodes {
            if forbidden.contains(node.tag) { problems.append("line \(node.line): <\(node.tag)> is not allowed in a self-contained report") }
            if node.tag == "meta", node.attribute("http-equiv") != nil { problems.append("line \(node.line): <meta http-equiv>") }
            for (name, value) in node.attributes {
                let lower = name.lowercased(), v = (value ?? "").trimmingCharacters(in: .whitespaces).lowercased()
                if lower.hasPrefix("on") { problems.append("line \(node.line): event handler attribute \(name) on <\(node.tag)>") }
                if ["src", "srcset", "action", "formaction", "poster", "data", "background", "ping", "codebase", "manifest"].contains(lower) {
                    problems.append("line \(node.line): <\(node.tag) \(name)=\"\(value ?? "")\"> refers to something outside the file")
                }
                if lower == "href" || lower.hasSuffix(":href") {
                    if !v.hasPrefix("#") { problems.append("line \(node.line): <\(node.tag) \(name)=\"\(value ?? "")\"> points outside the file") }
                }
                for bad in ["javascript:", "http:", "https:", "file:", "data:", "url("] where v.contains(bad) {
                    problems.append("line \(node.line): attribute \(name)=\"\(value ?? "")\" of <\(node.tag)> contains \(bad)")
                }
                if v.hasPrefix("//") { problems.append("line \(node.line): attribute \(name) of <\(node.tag)> is a protocol-relative reference") }
            }
        }
        let css = document.styleText.lowercased()
        for bad in ["@import", "url(", "expression(", "http:", "https:", "file:", "//"] where css.contains(bad) {
            problems.append("the inline CSS contains \(bad)")
        }

        // Headings: one h1, and no level skipped on the way down.
        let headings = nodes.filter { $0.tag.count == 2 && $0.tag.hasPrefix("h") && Int($0.tag.dropFirst()) != nil }
        let levels = headings.compactMap { Int($0.tag.dropFirst()) }
        if levels.filter({ $0 == 1 }).count != 1 { problems.append("\(levels.filter { $0 == 1 }.count) <h1> elements, not exactly one") }
        if levels.first != 1 { problems.append("the first heading is h\(levels.first ?? 0), not h1") }
        for (previous, next) in zip(headings, headings.dropFirst()) {
            let a = Int(previous.tag.dropFirst())!, b = Int(next.tag.dropFirst())!
            if b > a + 1 { problems.append("line \(next.line): <\(next.tag)> \"\(next.textContent)\" follows <\(previous.tag)>, skipping a level") }
        }
        for heading in headings where heading.textContent.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            problems.append("line \(heading.line): empty <\(heading.tag)>")
        }
        if nodes.filter({ $0.tag == "main" }).count != 1 { problems.append("not exactly one <main> landmark") }

        // Tables: a caption first, column headers in thead with scope="col", row headers with scope="row",
        // and every row as wide as the header row.
        for table in nodes where table.tag == "table" {
            let parts = table.elements
            if parts.first?.tag != "caption" || parts.first!.textContent.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                problems.append("line \(table.line): <table> does not start with a non-empty <caption>")
            }
            let theads = parts.filter { $0.tag == "thead" }
            guard theads.count == 1, let headerRow = theads[0].elements.first(where: { $0.tag == "tr" }) else {
                problems.append("line \(table.line): <table> has no <thead> with a header row")
                continue
            }
            let headerCells = headerRow.elements
            if headerCells.isEmpty || !headerCells.allSatisfy({ $0.tag == "th" && $0.attribute("scope") == "col" }) {
                problems.append("line \(table.line): the header row is not all <th scope=\"col\">")
            }
            for cell in table.descendants("th") where cell.attribute("scope") == nil {
                problems.append("line \(cell.line): <th> without scope")
            }
            for body in parts where body.tag == "tbody" {
                for row in body.elements {
                    if row.tag != "tr" { problems.append("line \(row.line): <\(row.tag)> directly in <tbody>"); continue }
                    let width = row.elements.reduce(0) { $0 + (Int($1.attribute("colspan") ?? "1") ?? 1) }
                    if width != headerCells.count {
                        problems.append("line \(row.line): a row of \(width) cells under \(headerCells.count) column headers")
                    }
                    for cell in row.elements where cell.tag == "th" && cell.attribute("scope") != "row" {
                        problems.append("line \(cell.line): a <th> in <tbody> without scope=\"row\"")
                    }
                }
            }
        }

        // Inline SVG: an image with an accessible name.
        let svgs = nodes.filter { $0.tag == "svg" }
        if expectSVG, svgs.isEmpty { problems.append("no inline <svg> diagram") }
        for svg in svgs {
            if svg.attribute("role") != "img" { problems.append("line \(svg.line): <svg> without role=\"img\"") }
            if svg.elements.first?.tag != "title" || svg.elements.first!.textContent.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append("line \(svg.line): <svg> does not start with a non-empty <title>")
            }
        }

        // ids are unique, and every reference to one resolves.
        var ids: [String: Int] = [:]
        for node in nodes { if let id = node.attribute("id") { ids[id, default: 0] += 1 } }
        for (id, count) in ids where count > 1 { problems.append("id \"\(id)\" is used \(count) times") }
        for node in nodes {
            for name in ["aria-labelledby", "aria-describedby"] {
                for reference in (node.attribute(name) ?? "").split(separator: " ") where ids[String(reference)] == nil {
                    problems.append("line \(node.line): \(name) names \"\(reference)\", which no element has")
                }
            }
        }

        // Contrast of every declared text colour on its background (WCAG AA for normal text: 4.5:1).
        let (pairs, colourProblems) = contrastPairs(document)
        problems += colourProblems
        for pair in pairs where pair.ratio < 4.5 {
            problems.append("\(pair.context): \(pair.foreground) on \(pair.background) has contrast \(String(format: "%.2f", pair.ratio)):1, below 4.5:1")
        }
        return problems
    }
}
