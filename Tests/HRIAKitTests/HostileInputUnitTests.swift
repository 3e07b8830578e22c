import Foundation
@testable import HRIAKit
import Testing

/// The pieces that keep hostile input harmless, one by one: what is escaped for a terminal and for Markdown, how a
/// named file is read, how far suggestions may go, and how high a guard may grow.
@Suite("Hostile input: escaping, file reading, bounded suggestions and guards")
struct HostileInputUnitTests {
    @Test("terminal text: every control, DEL, C1, bidi control and line separator is shown as an escape")
    func terminalEscapes() {
        let cases: [(String, String)] = [
            ("plain text, é and 中文", "plain text, é and 中文"),
            ("a\u{1B}[31mred", "a\\u001b[31mred"),
            ("over\rwrite", "over\\rwrite"),
            ("bell\u{07}", "bell\\u0007"),
            ("back\u{08}space", "back\\u0008space"),
            ("del\u{7F}", "del\\u007f"),
            ("c1\u{9B}2J", "c1\\u009b2J"),
            ("\u{202E}reversed", "\\u202ereversed"),
            ("iso\u{2066}late\u{2069}", "iso\\u2066late\\u2069"),
            ("line\u{2028}sep", "line\\u2028sep"),
            ("two\nlines\tand tab", "two\\nlines\\tand tab"),
            ("zero\u{0}", "zero\\u0000"),
        ]
        for (input, expected) in cases { #expect(DisplayText.escape(input) == expected, "\(input.debugDescription)") }
        #expect(DisplayText.escape("two\nlines\tkept\r", keepingLineBreaks: true) == "two\nlines\tkept\\r")
        // Characters near the escaped ranges are left alone.
        #expect(DisplayText.escape("\u{A0}\u{2027}\u{202F}\u{2065}\u{206A}") == "\u{A0}\u{2027}\u{202F}\u{2065}\u{206A}")
    }

    @Test("Markdown text: inline markup, HTML and block openers are inert, words are kept")
    func markdownEscapes() {
        let cases: [(String, String)] = [
            ("Acme Corp", "Acme Corp"),
            ("[link](http://evil)", "\\[link\\](http://evil)"),
            ("**bold** `code`", "\\*\\*bold\\*\\* \\`code\\`"),
            ("<b>x</b> & y", "&lt;b&gt;x&lt;/b&gt; &amp; y"),
            ("![i](u)", "\\!\\[i\\](u)"),
            ("a | b ~~c~~", "a \\| b \\~\\~c\\~\\~"),
            ("# Heading", "\\# Heading"),
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("1. first", "1\\. first"),
            ("snake_case stays", "snake_case stays"),
            ("_emphasis_", "\\_emphasis\\_"),
            ("two\nlines", "two lines"),
            ("esc\u{1B}[2J", "esc\\\\u001b\\[2J"),
            ("back\\slash", "back\\\\slash"),
        ]
        for (input, expected) in cases { #expect(DisplayText.markdown(input) == expected, "\(input.debugDescription)") }
    }

    // MARK: Reading a named file

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hria-input-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func refusal(_ path: String, name: String? = nil, limit: Int = 1 << 20) -> String? {
        do {
            _ = try InputFile.read(path, displayName: name ?? path, limit: limit)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("a named file must be a regular file: a FIFO, a device, a folder or nothing is refused without waiting")
    func inputFileKinds() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        // No writer is ever attached: a blocking open would wait here forever.
        #expect(Self.refusal(fifo) == "cannot read \(fifo): it is a pipe (FIFO), not a regular file")
        #expect(Self.refusal("/dev/null") == "cannot read /dev/null: it is a device, not a regular file")
        #expect(Self.refusal(folder.path) == "cannot read \(folder.path): it is a folder, not a file")
        #expect(Self.refusal(folder.appendingPathComponent("none").path, name: "none") == "cannot read none: no such file")
        #expect(Self.refusal(folder.appendingPathComponent("none/deeper").path, name: "x") == "cannot read x: no such file")
        #expect(Self.refusal(folder.path, name: "") == "a file name is empty")
        if FileManager.default.fileExists(atPath: "/proc/self/mem") {
            #expect(Self.refusal("/proc/self/mem") == "cannot read /proc/self/mem: the system could not read it (input/output error)")
        }
    }

    @Test("a named file is read to one byte past the limit, with its permissions")
    func inputFileContents() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("f").path
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        #expect(FileManager.default.createFile(atPath: file, contents: Data(bytes), attributes: [.posixPermissions: 0o640]))
        let whole = try InputFile.read(file, displayName: "f", limit: 20_000)
        #expect(whole.bytes == bytes)
        #expect(whole.permissions == 0o640)
        #expect(try InputFile.read(file, displayName: "f", limit: 100).bytes == Array(bytes.prefix(101)))
        #expect(try InputFile.read(file, displayName: "f", limit: 9_999).bytes == Array(bytes.prefix(10_000)))
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        #expect(try InputFile.read(file, displayName: "f", limit: 10).bytes.isEmpty)
        if FileManager.default.fileExists(atPath: "/proc/self/status") {
            // The kernel says 0 bytes; the content is there all the same.
            #expect(try !InputFile.read("/proc/self/status", displayName: "status", limit: 1 << 20).bytes.isEmpty)
        }
    }

    @Test("the file system refuses to read a FIFO in place of a log, at once")
    func fileSystemRefusesFIFO() throws {
        let folder = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("log.jsonl").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: FileSystemError.self) { try PosixFileSystem().readAll(fifo) }
        do {
            _ = try PosixFileSystem().readAll(fifo)
        } catch {
            #expect(error.description.hasSuffix("not a regular file"))
        }
    }

    // MARK: Suggestions

    @Test("suggestions still find typos, and give none for names too long to be typos")
    func suggestionsFindTypos() {
        #expect(Suggestions.closest(to: "reviw", in: ["review", "approved", "intake"]) == "review")
        #expect(Suggestions.closest(to: "aproved", in: ["review", "approved"]) == "approved")
        #expect(Suggestions.closest(to: "xyz", in: ["review", "approved"]) == nil)
        let long = String(repeating: "a", count: 1_000)
        #expect(Suggestions.closest(to: long + "b", in: [long]) == nil)
        #expect(Suggestions.editDistance(Array("kitten".unicodeScalars), Array("sitting".unicodeScalars), limit: 3) == 3)
        #expect(Suggestions.editDistance(Array("kitten".unicodeScalars), Array("sitting".unicodeScalars), limit: 2) == nil)
        #expect(Suggestions.editDistance(Array("ab".unicodeScalars), Array("ba".unicodeScalars), limit: 1) == 1)
    }

    @Test("a budget caps the work of all suggestions together: past it, none are given and nothing more is computed")
    func suggestionsBudget() {
        let candidates = (0..<2_000).map { "stage_" + String($0, radix: 2) + String(repeating: "x", count: 90) }
        let spent = Suggestions.withBudget(cells: 100_000) { () -> (Int, Int) in
            var given = 0
            for candidate in candidates.prefix(200) where Suggestions.closest(to: candidate + "q", in: candidates) != nil { given += 1 }
            return (given, Suggestions.budget?.cells ?? 0)
        }
        #expect(spent.0 > 0, "some suggestions are given before the budget runs out")
        #expect(spent.0 < 200, "not all: the budget ran out")
        #expect(spent.1 <= 0)
    }

    // MARK: Guards

    @Test("a guard chained past 256 levels is a guard-syntax error; within it, it parses")
    func guardHeight() throws {
        _ = try GuardParser.parse("facts.note" + String(repeating: ".size()", count: 200) + " > 0")
        for text in ["facts.note" + String(repeating: ".size()", count: 300) + " > 0",
                     "facts.note" + String(repeating: "[0]", count: 100_000),
                     String(repeating: "-", count: 100_000) + "1",
                     String(repeating: "!", count: 100_000) + "true",
                     "[1]" + String(repeating: ".filter(x, true)", count: 20_000)] {
            do {
                _ = try GuardParser.parse(text)
                Issue.record("a guard of \(text.count) characters parsed")
            } catch {
                #expect(error.rule == .guardSyntax)
                #expect(error.message.contains("256 levels") || error.message.contains("deep"), "\(error.message)")
            }
        }
    }

    @Test("a date thousands of years away keeps all its digits")
    func farDates() {
        let date = Date(timeIntervalSince1970: Double(Timestamp.daysFromCivil(21192, 4, 1)) * 86_400)
        #expect(StatusReport.day(date) == "21192-04-01")
    }
}
