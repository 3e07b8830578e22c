import Foundation

/// A position in a text file: 1-based line and column, columns counted in Unicode scalars (as Yams does).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The text of one source file, split into lines for positions and snippets.
public struct SourceText: Sendable {
    /// The name shown in diagnostics (the path as the user gave it).
    public let fileName: String
    public let text: String
    /// Lines without their line break, each as Unicode scalars so columns index them directly.
    public let lines: [[Unicode.Scalar]]

    public init(fileName: String, text: String) {
        self.fileName = fileName
        self.text = text
        var lines: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        // Lines are counted at LF (a CR before it belongs to the break), as editors and `cat -n` count them.
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(current)
                current = []
            } else {
                current.append(scalar)
            }
        }
        lines.append(current)
        self.lines = lines
        // libyaml also breaks lines at a lone CR, NEL, LS and PS; remember where, to translate its marks.
        var yamlLines: [(line: Int, column: Int)] = []
        for (index, line) in lines.enumerated() {
            yamlLines.append((index + 1, 1))
            for (offset, scalar) in line.enumerated() where ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) {
                yamlLines.append((index + 1, offset + 2))
            }
        }
        self.yamlLines = yamlLines
    }

    /// Where each line as libyaml counts them starts, in LF lines and columns.
    private let yamlLines: [(line: Int, column: Int)]

    /// Translates a position as Yams reports it (1-based, lines broken also at CR, NEL, LS, PS) into one in
    /// LF-counted lines, the way a reader's editor shows the file.
    public func location(yamlLine: Int, yamlColumn: Int) -> SourceLocation {
        guard yamlLine >= 1, yamlLine <= yamlLines.count else {
            return SourceLocation(line: max(1, yamlLine - (yamlLines.count - lines.count)), column: max(1, yamlColumn))
        }
        let start = yamlLines[yamlLine - 1]
        return SourceLocation(line: start.line, column: start.column + max(1, yamlColumn) - 1)
    }

    /// The line's text (1-based), or nil past the end.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lines.count else { return nil }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: lines[number - 1])
        return String(s)
    }

    /// The scalar at a location, or nil when the location is outside the text.
    public func scalar(at location: SourceLocation) -> Unicode.Scalar? {
        guard location.line >= 1, location.line <= lines.count else { return nil }
        let line = lines[location.line - 1]
        guard location.column >= 1, location.column <= line.count else { return nil }
        return line[location.column - 1]
    }
}

/// Reads a file's bytes as strict UTF-8, reporting the first bad byte's position.
public enum SourceDecoding {
    /// Decodes UTF-8, or returns the location of the first byte that is not valid UTF-8.
    public static func decode(_ bytes: [UInt8]) -> Result<String, InvalidUTF8> {
        // The fast path validates in one go; only invalid input is walked scalar by scalar to place the error.
        if var text = String(validating: bytes, as: UTF8.self) {
            if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
            return .success(text)
        }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        var line = 1, column = 1, offset = 0
        var consumed = 0
        // Decoding scalar by scalar lets us name the exact line and column of the first bad byte.
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                scalars.append(scalar)
                consumed += UTF8.width(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
                offset = consumed
            case .emptyInput:
                break loop
            case .error:
                return .failure(InvalidUTF8(byteOffset: offset, byte: offset < bytes.count ? bytes[offset] : 0,
                                            location: SourceLocation(line: line, column: column)))
            }
        }
        var text = String(scalars)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        return .success(text)
    }

    /// Where and what the first invalid UTF-8 byte is.
    public struct InvalidUTF8: Error, Sendable {
        public let byteOffset: Int
        public let byte: UInt8
        public let location: SourceLocation
    }
}
