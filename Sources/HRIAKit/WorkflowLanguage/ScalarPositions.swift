import Yams

/// Maps each character of a YAML scalar's value back to its line and column in the file, so problems
/// inside a guard point at the right place even in quoted strings with escapes and in block scalars.
enum ScalarPositions {
    /// One location per Unicode scalar of `value`, plus the location just after the last one.
    static func map(value: String, style: Node.Scalar.Style, start: SourceLocation, source: SourceText) -> [SourceLocation] {
        let valueScalars = Array(value.unicodeScalars)
        var result: [SourceLocation] = []
        result.reserveCapacity(valueScalars.count + 1)
        var line = start.line, column = start.column
        let isBlock = style == .literal || style == .folded
        var blockIndent = 0
        switch style {
        case .singleQuoted, .doubleQuoted:
            column += 1
        case .literal, .folded:
            // Content begins on the line after the `|` or `>` indicator, at the indentation of its first line.
            line += 1
            column = 1
            if let explicit = indentationIndicator(at: start, source: source) {
                blockIndent = explicit
            } else {
                var probe = line
                while probe <= source.lines.count {
                    let text = source.lines[probe - 1]
                    if let firstNonSpace = text.firstIndex(where: { $0 != " " }) {
                        blockIndent = firstNonSpace
                        break
                    }
                    probe += 1
                }
            }
            column = min(blockIndent, source.lines[safe: line - 1]?.count ?? 0) + 1
        default:
            break
        }

        func current() -> Unicode.Scalar? {
            guard let text = source.lines[safe: line - 1] else { return nil }
            return column - 1 < text.count ? text[column - 1] : nil
        }
        func atEndOfLine() -> Bool {
            guard let text = source.lines[safe: line - 1] else { return true }
            return column - 1 >= text.count
        }
        func nextLine() {
            line += 1
            column = 1
            if isBlock, let text = source.lines[safe: line - 1] {
                var skipped = 0
                while skipped < blockIndent, skipped < text.count, text[skipped] == " " { skipped += 1 }
                column = skipped + 1
            }
        }
        func pastEnd() -> Bool { line > source.lines.count }

        for v in valueScalars {
            if pastEnd() { result.append(SourceLocation(line: source.lines.count, column: 1)); continue }
            let isSpace = v == " " || v == "\t" || v == "\n"
            if !isSpace {
                // Folding and indentation turn line breaks and leading spaces into nothing or one space.
                var guardSteps = 0
                while !pastEnd(), guardSteps < 10_000 {
                    guardSteps += 1
                    if atEndOfLine() { nextLine(); continue }
                    if let c = current(), c == " " || c == "\t", !(style == .literal) { column += 1; continue }
                    // An escaped line break (a backslash ending the line) joins the lines with nothing in between.
                    if style == .doubleQuoted, current() == "\\", let text = source.lines[safe: line - 1], column == text.count {
                        nextLine()
                        continue
                    }
                    break
                }
                if style == .doubleQuoted, current() == "\\" {
                    result.append(SourceLocation(line: line, column: column))
                    column += escapeWidth(after: column, line: line, source: source)
                    continue
                }
                if style == .singleQuoted, v == "'", current() == "'" {
                    result.append(SourceLocation(line: line, column: column))
                    column += 2
                    continue
                }
                result.append(SourceLocation(line: line, column: min(column, (source.lines[safe: line - 1]?.count ?? 0) + 1)))
                column += 1
            } else {
                result.append(SourceLocation(line: line, column: column))
                if atEndOfLine() {
                    nextLine()
                } else if style == .doubleQuoted, current() == "\\" {
                    column += escapeWidth(after: column, line: line, source: source)
                } else {
                    column += 1
                }
            }
        }
        result.append(SourceLocation(line: min(line, max(1, source.lines.count)), column: column))
        return result
    }

    /// The content indentation a block scalar header like `|2` or `>-1` fixes: the parent node's indentation
    /// (the line's indentation, past any `- ` sequence markers) plus the indicator; nil when none is given.
    static func indentationIndicator(at start: SourceLocation, source: SourceText) -> Int? {
        guard let text = source.lines[safe: start.line - 1] else { return nil }
        var i = start.column
        var digit: Int?
        while i < text.count, text[i] != " ", text[i] != "#" {
            if text[i].isASCIIDigit { digit = Int(text[i].value - 48) }
            i += 1
        }
        guard let digit, digit > 0 else { return nil }
        var parent = 0
        while parent < text.count, text[parent] == " " { parent += 1 }
        while parent + 1 < text.count, text[parent] == "-", text[parent + 1] == " " {
            parent += 2
            while parent < text.count, text[parent] == " " { parent += 1 }
        }
        return parent + digit
    }

    /// How many source characters a double-quoted escape sequence starting at `column` takes.
    private static func escapeWidth(after column: Int, line: Int, source: SourceText) -> Int {
        guard let text = source.lines[safe: line - 1], column < text.count else { return 1 }
        switch text[column] {
        case "x": return 4
        case "u": return 6
        case "U": return 10
        default: return 2
        }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? {
        index >= 0 && index < count ? self[index] : nil
    }
}
