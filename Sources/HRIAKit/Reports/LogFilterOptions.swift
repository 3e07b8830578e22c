import Foundation

extension LogFilter {
    /// The filter an auditor asks `hria log` for, from the words they typed: people, stages, kinds of event by their
    /// documented names, and moments. `option` spells a filter's name as the asker wrote it (`--since` on the
    /// command line, `since` in a query), so that a kind or a moment that cannot be read is bad input in their
    /// words, with what is allowed. The command line and the server read filters here, so both refuse alike.
    public init(actors: [String], stages: [String], types: [String], since: String?, until: String?,
                option: (String) -> String) throws(HRIAError) {
        self.init(actors: Set(actors), stages: Set(stages))
        let kinds = LogFilter.assessmentTypes.map(\.rawValue)
        for name in types {
            guard let type = EventType(rawValue: name), !type.isRosterChange else {
                throw .badInput("unknown event kind \"\(DisplayText.escape(name))\"",
                                help: Suggestions.closest(to: name, in: kinds).map { "did you mean \"\($0)\"?" }
                                    ?? "the kinds are " + kinds.joined(separator: ", "))
            }
            self.types.insert(type)
        }
        for (name, text, endOfDay) in [("since", since, false), ("until", until, true)] {
            guard let text else { continue }
            guard let moment = LogFilter.moment(text, endOfDay: endOfDay) else {
                throw .badInput("\(option(name)) \"\(DisplayText.escape(text))\" is neither a date nor a time",
                                help: "write YYYY-MM-DD, or a time such as 2026-03-01T12:00:00Z")
            }
            if endOfDay { self.until = moment } else { self.since = moment }
        }
    }
}
