import Foundation
import HRIAKit

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
