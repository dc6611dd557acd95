import TCMCells

/// The first analysis of a large set takes a while: this screen says what it is doing and how
/// far it got, while the UI loop keeps reading keys (q quits at once).
public struct LoadingState: Equatable, Sendable {
    /// The stages of the first analysis, in the order they run.
    public enum Stage: Int, CaseIterable, Comparable, Sendable {
        case pairPass, retrieval, pca

        public var title: String {
            switch self {
            case .pairPass: "pair pass"
            case .retrieval: "retrieval"
            case .pca: "PCA"
            }
        }

        /// What the stage computes, for the line under the bars.
        public var explanation: String {
            switch self {
            case .pairPass: "every pair's similarity, counted per class"
            case .retrieval: "nearest neighbours: Recall@1, R-Precision, MAP@R"
            case .pca: "the 2-D layout of the projection pane"
            }
        }

        public static func < (a: Stage, b: Stage) -> Bool { a.rawValue < b.rawValue }
    }

    /// One report from the background analysis: the stage it is in and the share of it done.
    public struct Progress: Equatable, Sendable {
        public var stage: Stage
        public var fraction: Double
        public init(stage: Stage, fraction: Double) {
            self.stage = stage
            self.fraction = fraction
        }
    }

    public var file: String
    public var rows: Int
    public var dimension: Int
    public var classes: Int
    public var fileBytes: Int?
    public private(set) var progress = Progress(stage: .pairPass, fraction: 0)

    public init(file: String, rows: Int, dimension: Int, classes: Int, fileBytes: Int? = nil) {
        self.file = file
        self.rows = rows
        self.dimension = dimension
        self.classes = classes
        self.fileBytes = fileBytes
    }

    /// Takes a report; progress only moves forward (reports from worker threads may arrive late).
    public mutating func apply(_ p: Progress) {
        let fraction = min(1, max(0, p.fraction.isFinite ? p.fraction : 0))
        if p.stage > progress.stage || (p.stage == progress.stage && fraction > progress.fraction) {
            progress = Progress(stage: p.stage, fraction: fraction)
        }
    }

    /// The share of `stage` done: 1 before the current stage, 0 after it.
    public func fraction(of stage: Stage) -> Double {
        stage < progress.stage ? 1 : stage == progress.stage ? progress.fraction : 0
    }

    /// "60,502 × 512 · 11,316 classes · 124 MB"
    var sizeLine: String {
        var parts = ["\(grouped(rows)) × \(grouped(dimension))", "\(grouped(classes)) classes"]
        if let fileBytes {
            parts.append(fileBytes >= 10_000_000 ? "\(fileBytes / 1_000_000) MB" : "\(fileBytes / 1000) kB")
        }
        return parts.joined(separator: " · ")
    }

    private func grouped(_ n: Int) -> String {
        var digits = String(n), out = ""
        while digits.count > 3 {
            out = "," + digits.suffix(3) + out
            digits = String(digits.dropLast(3))
        }
        return digits + out
    }
}

public enum LoadingScreen {
    static let labelWidth = 10
    static let quitHint = "q quits"

    /// Draws the loading screen: centred title, file and size, one bar per stage and what the
    /// current one does. Below 44×10 it falls back to the current stage, its percentage and a bar.
    public static func render(_ s: LoadingState, into buffer: inout CellBuffer) {
        buffer.fill(buffer.area)
        guard buffer.width >= 44 && buffer.height >= 10 else { return renderCompact(s, into: &buffer) }
        let barWidth = min(40, buffer.width - labelWidth - 10)
        let blockWidth = labelWidth + 1 + barWidth + 5
        let left = (buffer.width - blockWidth) / 2
        let top = max(0, (buffer.height - 10) / 2)
        func centre(_ text: String, _ y: Int, _ style: Style = .plain) {
            buffer.write(text, x: max(0, (buffer.width - text.count) / 2), y: y, style: style, limit: buffer.width)
        }
        centre("TCMScope", top, Style(bold: true))
        centre("loading \(s.file)", top + 1)
        centre(s.sizeLine, top + 2, Style(dim: true))
        for (i, stage) in LoadingState.Stage.allCases.enumerated() {
            let current = stage == s.progress.stage
            let y = top + 4 + i
            buffer.write(stage.title, x: left, y: y, style: Style(bold: current, dim: stage > s.progress.stage))
            bar(s.fraction(of: stage), width: barWidth, into: &buffer, x: left + labelWidth + 1, y: y)
            buffer.write(percent(s.fraction(of: stage)), x: left + labelWidth + 1 + barWidth + 1, y: y)
        }
        centre(s.progress.stage.explanation, top + 8, Style(dim: true))
        centre(quitHint, top + 9)
    }

    /// A terminal too small for the full screen still shows the stage, its percentage and a bar.
    static func renderCompact(_ s: LoadingState, into buffer: inout CellBuffer) {
        let lines = ["loading \(s.file)", "\(s.progress.stage.title) \(percent(s.progress.fraction))", "", quitHint]
        for (y, line) in lines.enumerated() where y < buffer.height {
            if y == 2 {
                bar(s.progress.fraction, width: buffer.width, into: &buffer, x: 0, y: y)
            } else {
                buffer.write(line, x: 0, y: y, style: Style(bold: y == 1), limit: buffer.width)
            }
        }
    }

    static func percent(_ fraction: Double) -> String {
        let p = Int((fraction * 100).rounded(.down))
        return String(repeating: " ", count: p < 10 ? 2 : p < 100 ? 1 : 0) + "\(p)%"
    }

    static func bar(_ fraction: Double, width: Int, into buffer: inout CellBuffer, x: Int, y: Int) {
        let filled = Int((fraction * Double(width)).rounded(.down))
        buffer.write(String(repeating: "█", count: filled), x: x, y: y, style: Style(foreground: Palette.progress))
        buffer.write(String(repeating: "░", count: width - filled), x: x + filled, y: y, style: Style(dim: true))
    }
}
