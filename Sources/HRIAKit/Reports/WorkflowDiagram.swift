/// `hria workflow graph`: the stage graph as Mermaid or Graphviz DOT. Terminal stages are drawn as double
/// circles, guards label the edges, and loops show as edges back to earlier stages.
public enum WorkflowDiagram {
    public enum Format: String, Sendable, CaseIterable {
        case mermaid, dot, svg
    }

    /// Stages to emphasise (the path an assessment took) and the transitions it used, as (from, to) pairs.
    public struct Highlight: Sendable {
        public var stages: Set<String>
        public var transitions: Set<[String]>
        public var current: String?
        public init(stages: Set<String>, transitions: Set<[String]>, current: String?) {
            self.stages = stages
            self.transitions = transitions
            self.current = current
        }
    }

    public static func render(_ workflow: Workflow, format: Format, highlight: Highlight? = nil) -> String {
        switch format {
        case .mermaid: mermaid(workflow, highlight: highlight)
        case .dot: dot(workflow, highlight: highlight)
        case .svg: WorkflowSVG.render(workflow, highlight: highlight)
        }
    }

    /// A Mermaid flowchart. Node ids get a prefix so a stage called `end` cannot clash with a keyword.
    static func mermaid(_ workflow: Workflow, highlight: Highlight?) -> String {
        func id(_ stage: String) -> String { "s_\(stage)" }
        func label(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "#amp;").replacingOccurrences(of: "\"", with: "#quot;")
                .replacingOccurrences(of: "<", with: "#lt;").replacingOccurrences(of: ">", with: "#gt;")
                .replacingOccurrences(of: "\n", with: " ")
        }
        var out = "flowchart TD\n"
        out += "    start_((\" \")) --> \(id(workflow.initial.value))\n"
        for stage in workflow.stages {
            if stage.terminal {
                out += "    \(id(stage.id))(((\"\(label(stage.displayTitle))<br/>ends: \(label(stage.outcome ?? ""))\")))\n"
            } else {
                var text = label(stage.displayTitle) + "<br/>owner: \(label(stage.owner?.value ?? ""))"
                if let visits = stage.maxVisits { text += ", at most \(visits) visits" }
                out += "    \(id(stage.id))[\"\(text)\"]\n"
            }
        }
        var edgeIndex = 1
        var highlightedEdges: [Int] = []
        for stage in workflow.stages {
            for transition in stage.transitions {
                let text = transition.when.map { label($0.displayText) } ?? "otherwise"
                out += "    \(id(stage.id)) -->|\"\(text)\"| \(id(transition.to.value))\n"
                if highlight?.transitions.contains([stage.id, transition.to.value]) == true { highlightedEdges.append(edgeIndex) }
                edgeIndex += 1
            }
        }
        out += "    classDef terminal fill:#eeeeee,stroke:#333333,stroke-width:2px\n"
        let terminals = workflow.stages.filter(\.terminal).map { id($0.id) }
        if !terminals.isEmpty { out += "    class \(terminals.joined(separator: ",")) terminal\n" }
        if let highlight {
            out += "    classDef taken fill:#dbeafe,stroke:#1e3a8a,stroke-width:3px\n"
            let taken = workflow.stages.filter { highlight.stages.contains($0.id) }.map { id($0.id) }
            if !taken.isEmpty { out += "    class \(taken.joined(separator: ",")) taken\n" }
            if let current = highlight.current {
                out += "    classDef current fill:#fde68a,stroke:#92400e,stroke-width:3px\n"
                out += "    class \(id(current)) current\n"
            }
            if !highlightedEdges.isEmpty {
                // linkStyle counts edges from 0, including the start edge.
                out += "    linkStyle \(highlightedEdges.map(String.init).joined(separator: ",")) stroke:#1e3a8a,stroke-width:3px\n"
            }
        }
        return out
    }

    /// A Graphviz digraph; `dot -Tsvg` renders it.
    static func dot(_ workflow: Workflow, highlight: Highlight?) -> String {
        func quote(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }
        var out = "digraph \(quote(workflow.id)) {\n"
        out += "    label=\(quote("\(workflow.title) (version \(workflow.version))"));\n"
        out += "    labelloc=t;\n    rankdir=TB;\n"
        out += "    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
        out += "    edge [fontname=\"Helvetica\", fontsize=10];\n"
        out += "    \"__start\" [shape=point, width=0.2, label=\"\"];\n"
        out += "    \"__start\" -> \(quote(workflow.initial.value));\n"
        for stage in workflow.stages {
            var attributes: [String] = []
            if stage.terminal {
                attributes.append("shape=doublecircle")
                attributes.append("label=\(quote("\(stage.displayTitle)\nends: \(stage.outcome ?? "")"))")
            } else {
                var text = "\(stage.displayTitle)\nowner: \(stage.owner?.value ?? "")"
                if let visits = stage.maxVisits { text += "\nat most \(visits) visits" }
                attributes.append("label=\(quote(text))")
            }
            if let highlight, highlight.stages.contains(stage.id) {
                attributes.append("style=\"rounded,filled,bold\"")
                attributes.append(highlight.current == stage.id ? "fillcolor=\"#fde68a\"" : "fillcolor=\"#dbeafe\"")
            }
            out += "    \(quote(stage.id)) [\(attributes.joined(separator: ", "))];\n"
        }
        for stage in workflow.stages {
            for transition in stage.transitions {
                var attributes = ["label=\(quote(transition.when?.displayText ?? "otherwise"))"]
                if transition.when == nil { attributes.append("style=dashed") }
                if highlight?.transitions.contains([stage.id, transition.to.value]) == true {
                    attributes.append("penwidth=3")
                    attributes.append("color=\"#1e3a8a\"")
                }
                out += "    \(quote(stage.id)) -> \(quote(transition.to.value)) [\(attributes.joined(separator: ", "))];\n"
            }
        }
        out += "}\n"
        return out
    }
}
