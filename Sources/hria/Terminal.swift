import Foundation
import HRIAKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Everything the command line prints goes through these two functions, so text that came from a person or a file
// (a partner's name, a comment, a field, a line of a workflow) never reaches a terminal as a control sequence or a
// bidirectional override: DisplayText shows those as escapes. Output that hria composed keeps its line breaks.

/// `print` for this module: the same arguments as the standard library's, written through `DisplayText`.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator) + terminator
    FileHandle.standardOutput.write(Data(DisplayText.escape(text, keepingLineBreaks: true).utf8))
}

/// Writes to standard error through `DisplayText`.
func printError(_ text: String) {
    FileHandle.standardError.write(Data(DisplayText.escape(text, keepingLineBreaks: true).utf8))
}


/// Confidential values kept off the command line, where the process list and shell history would show them:
/// `--confidential NAME=-` reads the value from standard input, `--confidential NAME` asks for it on the terminal
/// without echo.
enum ConfidentialInput {
    /// The value of each `--confidential` argument, reading standard input or the terminal where it says so.
    /// `fieldNames`, when known, are the confidential fields of the evidence type: a bare word that is not one of
    /// them may be a value typed without its name, and is refused without being repeated.
    static func values(_ arguments: [String], fieldNames: Set<String>? = nil) throws(HRIAError) -> [(name: String, value: String)] {
        let fromStandardInput = arguments.filter { $0.hasSuffix("=-") }
        guard fromStandardInput.count <= 1 else {
            throw .badInput("only one confidential value can be read from standard input (NAME=-); give the others as NAME to be asked for them")
        }
        var result: [(String, String)] = []
        for argument in arguments {
            if argument.hasSuffix("=-"), argument.count > 2 {
                result.append((String(argument.dropLast(2)), try readStandardInput(name: String(argument.dropLast(2)))))
            } else if !argument.contains("=") {
                // Only a field name is asked for: anything else may be a value typed without its name, which must
                // not be repeated back, not even in the question.
                guard Workflow.isName(argument), fieldNames.map({ $0.contains(argument) }) ?? true else {
                    throw .badInput("malformed confidential field: expected NAME, NAME=- or NAME=VALUE (the text given is not shown)")
                }
                result.append((argument, try ask(argument)))
            } else {
                result.append(try nameValue(argument, what: "confidential field", confidential: true))
            }
        }
        return result
    }

    /// The `NAME=VALUE` lines of a file of confidential values (blank lines and `#` comments left out): a way to give
    /// several values with none of them on the command line.
    static func file(_ path: String, displayName: String) throws(HRIAError) -> [(name: String, value: String)] {
        let bytes = try InputFile.read(path, displayName: displayName, limit: 1 << 20).bytes
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .badInput("\(displayName) is not UTF-8 text") }
        var result: [(String, String)] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                // The line may hold a confidential value: it is not repeated back.
                throw .badInput("\(displayName), line \(number + 1): expected NAME=VALUE (the line is not shown)")
            }
            result.append((String(line[..<equals]).trimmingCharacters(in: .whitespaces), String(line[line.index(after: equals)...])))
        }
        return result
    }

    /// Standard input, up to its end, without one final line break; at most 1 MiB.
    static func readStandardInput(name: String) throws(HRIAError) -> String {
        let data = FileHandle.standardInput.readData(ofLength: 1 << 20 + 1)
        guard data.count <= 1 << 20 else { throw .badInput("the confidential value of \(name) on standard input is over 1 MiB") }
        guard var text = String(data: data, encoding: .utf8) else {
            throw .badInput("the confidential value of \(name) on standard input is not UTF-8 text")
        }
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// Asks for a value on the terminal with echo turned off; refused when there is no terminal to ask on.
    static func ask(_ name: String) throws(HRIAError) -> String {
        guard isatty(STDIN_FILENO) == 1 else {
            throw .badInput("a confidential value was not given, and there is no terminal to ask for it on",
                            help: "pipe it in with --confidential NAME=-, or give a file with --confidential-file")
        }
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        FileHandle.standardError.write(Data("\(name) (not shown): ".utf8))
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        let line = readLine(strippingNewline: true)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        FileHandle.standardError.write(Data("\n".utf8))
        guard let line else { throw .badInput("no value was typed for \(name)") }
        return line
    }
}
