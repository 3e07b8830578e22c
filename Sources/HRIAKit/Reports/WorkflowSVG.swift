/// `hria workflow graph --format svg`: the stage graph drawn by hria itself, with no Graphviz. Stages are laid out
/// in layers by their distance from the initial stage; each box says who owns the stage, what it requires, who
/// signs it off and its deadline; each edge carries a short label, with the whole guard as its tooltip. Boxes have a
/// fixed width, so a long name is shortened (in full in the tooltip) rather than widening the drawing.
enum WorkflowSVG {
    static let boxWidth = 230.0, lineHeight = 15.0, gapX = 40.0, gapY = 70.0, margin = 30.0, charWidth = 6.6

    static func render(_ workflow: Workflow, highlight: WorkflowDiagram.Highlight?) -> String {
        // Layers: the shortest distance from the initial stage; stages never reached go in a last layer.
        var rank: [String: Int] = [workflow.initial.value: 0]
        var queue = [workflow.initial.value]
        while !queue.isEmpty {
            let id = queue.removeFirst()
            for transition in workflow.stage(id)?.transitions ?? [] where rank[transition.to.value] == nil {
                rank[transition.to.value] = rank[id, default: 0] + 1
                queue.append(transition.to.value)
            }
        }
        let deepest = (rank.values.max() ?? 0) + 1
        for stage in workflow.stages where rank[stage.id] == nil { rank[stage.id] = deepest }
        let layers = Dictionary(grouping: workflow.stages, by: { rank[$0.id, default: deepest] }).sorted { $0.key < $1.key }.map(\.value)

        struct Box { var x: Double, y: Double, height: Double, lines: [String], title: String, terminal: Bool }
        var boxes: [String: Box] = [:]
        var y = margin + 30
        let widest = layers.map(\.count).max() ?? 1
        let width = margin * 2 + Double(widest) * boxWidth + Double(widest - 1) * gapX + 80
        for layer in layers {
            let rowWidth = Double(layer.count) * boxWidth + Double(layer.count - 1) * gapX
            var x = (width - 80 - rowWidth) / 2
            var rowHeight = 0.0
            for stage in layer {
                let lines = content(stage)
                let height = Double(lines.count) * lineHeight + 16
                boxes[stage.id] = Box(x: x, y: y, height: height, lines: lines, title: stage.displayTitle, terminal: stage.terminal)
                rowHeight = max(rowHeight, height)
                x += boxWidth + gapX
            }
            y += rowHeight + gapY
        }
        let height = y - gapY + margin

        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\" role=\"img\" aria-labelledby=\"title\">\n"
        out += "<title id=\"title\">\(x("\(workflow.title) (\(workflow.id) version \(workflow.version))"))</title>\n"
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">"
            + "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#333\"/></marker></defs>\n"
        out += "<text x=\"\(n(margin))\" y=\"\(n(margin))\" font-size=\"15\" font-weight=\"bold\">\(x(workflow.title)) (version \(workflow.version))</text>\n"
        // Edges first, so boxes are drawn over them.
        for stage in workflow.stages {
            guard let from = boxes[stage.id] else { continue }
            for (index, transition) in stage.transitions.enumerated() {
                guard let to = boxes[transition.to.value] else { continue }
                let taken = highlight?.transitions.contains([stage.id, transition.to.value]) == true
                let full = transition.when?.displayText ?? "otherwise"
                let short = shorten(full, to: 30)
                var path: String
                var labelAt: (Double, Double)
                if to.y > from.y {
                    let (x1, y1) = (from.x + boxWidth / 2 + Double(index) * 12 - Double(stage.transitions.count - 1) * 6, from.y + from.height)
                    let (x2, y2) = (to.x + boxWidth / 2, to.y)
                    path = "M \(n(x1)) \(n(y1)) C \(n(x1)) \(n(y1 + 30)) \(n(x2)) \(n(y2 - 30)) \(n(x2)) \(n(y2))"
                    labelAt = ((x1 + x2) / 2 + 4, (y1 + y2) / 2)
                } else {
                    // A loop back, or a move within a layer: around the right-hand side.
                    let (x1, y1) = (from.x + boxWidth, from.y + from.height / 2)
                    let (x2, y2) = (to.x + boxWidth, to.y + to.height / 2)
                    let bend = max(x1, x2) + 50 + Double(index) * 10
                    path = "M \(n(x1)) \(n(y1)) C \(n(bend)) \(n(y1)) \(n(bend)) \(n(y2)) \(n(x2)) \(n(y2))"
                    labelAt = (bend - 20, (y1 + y2) / 2)
                }
                let stroke = taken ? "stroke=\"#1e3a8a\" stroke-width=\"3\"" : "stroke=\"#333\" stroke-width=\"1.2\""
                let dash = transition.when == nil ? " stroke-dasharray=\"5 4\"" : ""
                out += "<g class=\"transition\"><title>\(x(stage.id)) → \(x(transition.to.value)): \(x(full))</title>"
                out += "<path d=\"\(path)\" fill=\"none\" \(stroke)\(dash) marker-end=\"url(#arrow)\"/>"
                out += "<text x=\"\(n(labelAt.0))\" y=\"\(n(labelAt.1))\" font-size=\"10\" fill=\"#444\">\(x(short))</text></g>\n"
            }
        }
        for stage in workflow.stages {
            guard let box = boxes[stage.id] else { continue }
            let taken = highlight?.stages.contains(stage.id) == true
            let fill = highlight?.current == stage.id ? "#fde68a" : taken ? "#dbeafe" : box.terminal ? "#eeeeee" : "#ffffff"
            out += "<g class=\"stage\" id=\"stage-\(x(stage.id))\"><title>\(x(box.title)) (\(x(stage.id)))</title>"
            out += "<rect x=\"\(n(box.x))\" y=\"\(n(box.y))\" width=\"\(n(boxWidth))\" height=\"\(n(box.height))\" rx=\"8\" fill=\"\(fill)\" stroke=\"#333\" stroke-width=\"\(taken ? 2.5 : 1.2)\"/>"
            if box.terminal {
                out += "<rect x=\"\(n(box.x + 3))\" y=\"\(n(box.y + 3))\" width=\"\(n(boxWidth - 6))\" height=\"\(n(box.height - 6))\" rx=\"6\" fill=\"none\" stroke=\"#333\"/>"
            }
            for (index, line) in box.lines.enumerated() {
                let weight = index == 0 ? " font-weight=\"bold\"" : ""
                out += "<text x=\"\(n(box.x + 10))\" y=\"\(n(box.y + 20 + Double(index) * lineHeight))\"\(weight)>\(x(line))</text>"
            }
            out += "</g>\n"
        }
        if !rank.isEmpty, let first = boxes[workflow.initial.value] {
            out += "<circle cx=\"\(n(first.x - 18))\" cy=\"\(n(first.y + 12))\" r=\"5\" fill=\"#333\"><title>start</title></circle>\n"
        }
        return out + "</svg>\n"
    }

    /// What a box says: the title, then the owner, requirements, sign-offs, deadline and visit limit; each line
    /// shortened to the box's width.
    static func content(_ stage: Stage) -> [String] {
        var lines = [stage.displayTitle]
        if stage.terminal {
            lines.append("ends: \(stage.outcome ?? stage.id)")
        } else {
            lines.append("owner: \(stage.owner?.value ?? "none")")
            if !stage.requirements.isEmpty { lines.append("requires: " + stage.requirements.map(\.id).joined(separator: ", ")) }
            for signoff in stage.signoffs {
                lines.append("sign-off: " + signoff.roles.map(\.value).joined(separator: " or ") + (signoff.quorum > 1 ? " ×\(signoff.quorum)" : ""))
            }
            if let deadline = stage.deadline { lines.append("deadline: \(deadline.inWords)") }
            if let visits = stage.maxVisits { lines.append("at most \(visits) visits") }
        }
        let fits = Int((boxWidth - 20) / charWidth)
        return lines.map { shorten($0, to: fits) }
    }

    static func shorten(_ text: String, to count: Int) -> String {
        text.count <= count ? text : String(text.prefix(count - 1)) + "…"
    }

    static func n(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// Text escaped for XML.
    static func x(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default:
                // Control characters have no place in XML 1.0.
                if scalar.value < 0x20 && scalar != "\t" { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
