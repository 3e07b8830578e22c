/// "Did you mean" suggestions by edit distance, as actionlint and rustc give them.
///
/// Bounded so that no input makes them slow: a typo is at most 3 edits away, so only candidates within 3 of the
/// word's length are compared, each by a band of the edit-distance table that stops as soon as every cell is past
/// the limit; names longer than `maximumLength` get no suggestion; and a whole lint spends at most a fixed budget
/// of table cells (`withBudget`), after which it reports the same problems without suggestions.
public enum Suggestions {
    /// Names longer than this (in Unicode scalars) are not typos worth guessing at.
    public static let maximumLength = 128
    /// At most this many candidates are compared for one word.
    public static let maximumCandidates = 10_000

    /// What a run of suggestions may still spend, in edit-distance table cells.
    public final class Budget: @unchecked Sendable {
        // @unchecked: one budget belongs to one lint, which runs on one thread.
        var cells: Int
        public init(cells: Int) { self.cells = cells }
    }

    @TaskLocal static var budget: Budget?

    /// Runs `body` with suggestions limited to `cells` table cells in all (a lint of the largest file stays fast).
    public static func withBudget<R>(cells: Int, _ body: () throws -> R) rethrows -> R {
        try $budget.withValue(Budget(cells: cells), operation: body)
    }

    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let target = Array(word.unicodeScalars)
        guard !target.isEmpty, target.count <= maximumLength else { return nil }
        let budget = Self.budget
        var best: (String, Int)?
        var examined = 0
        for candidate in candidates where candidate != word {
            examined += 1
            if examined > maximumCandidates { break }
            let length = candidate.unicodeScalars.count
            let limit = max(1, min(3, max(target.count, length) / 3))
            guard length <= maximumLength, abs(length - target.count) <= limit else { continue }
            if let budget {
                guard budget.cells > 0 else { break }
                budget.cells -= (2 * limit + 1) * (target.count + 1)
            }
            guard let distance = editDistance(target, Array(candidate.unicodeScalars), limit: limit) else { continue }
            if best == nil || distance < best!.1 || (distance == best!.1 && candidate < best!.0) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit, if it is at most `limit`; nil
    /// otherwise. Only the cells within `limit` of the diagonal are computed, and the search stops at the first
    /// row whose every cell is past the limit.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int? {
        guard abs(a.count - b.count) <= limit else { return nil }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let beyond = limit + 1
        var previous2 = [Int](repeating: beyond, count: b.count + 1)
        var previous = (0...b.count).map { min($0, beyond) }
        var current = [Int](repeating: beyond, count: b.count + 1)
        for i in 1...a.count {
            let low = max(1, i - limit), high = min(b.count, i + limit)
            current[0] = min(i, beyond)
            if low > 1 { current[low - 1] = beyond }
            var rowMinimum = current[0]
            if low <= high {
                for j in low...high {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var value = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        value = Swift.min(value, previous2[j - 2] + 1)
                    }
                    current[j] = Swift.min(value, beyond)
                    rowMinimum = Swift.min(rowMinimum, current[j])
                }
            }
            if high < b.count { current[high + 1] = beyond }
            if rowMinimum > limit { return nil }
            (previous2, previous, current) = (previous, current, previous2)
        }
        let distance = previous[b.count]
        return distance <= limit ? distance : nil
    }

    /// Levenshtein distance with adjacent transpositions counted as one edit, unbounded.
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        editDistance(a, b, limit: max(a.count, b.count)) ?? max(a.count, b.count)
    }

    /// A list of names for a message: `"a", "b" or "c"`.
    public static func list(_ names: [String], conjunction: String = "or") -> String {
        let quoted = names.map { "\"\($0)\"" }
        switch quoted.count {
        case 0: return ""
        case 1: return quoted[0]
        default: return quoted.dropLast().joined(separator: ", ") + " \(conjunction) " + quoted.last!
        }
    }
}
