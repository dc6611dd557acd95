import TCMText

/// A terminal colour: the terminal's default, or an index into the 256-colour palette.
public enum Color: Equatable, Hashable, Sendable {
    case terminalDefault
    case palette(UInt8)
}

/// How a cell is drawn.
public struct Style: Equatable, Hashable, Sendable {
    public var foreground: Color = .terminalDefault
    public var background: Color = .terminalDefault
    public var bold = false
    public var reverse = false
    public var dim = false
    public init(
        foreground: Color = .terminalDefault, background: Color = .terminalDefault, bold: Bool = false,
        reverse: Bool = false, dim: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.dim = dim
    }
    public static let plain = Style()
}

/// One character cell: what it shows and how.
public struct Cell: Equatable, Sendable {
    public var scalar: Unicode.Scalar = " "
    public var style = Style.plain
    public init(scalar: Unicode.Scalar = " ", style: Style = .plain) {
        self.scalar = scalar
        self.style = style
    }
}

/// A rectangle of cells, origin top-left.
///
/// Contract: `width` and `height` are never negative (the initialiser clamps them to 0), so
/// splits and insets of a rectangle too small for them give empty rectangles, never a trap.
public struct Rect: Equatable, Sendable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public func inset(_ d: Int) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    /// The top `rows` rows (clamped to 0 … height), and the rest.
    public func splitTop(_ rows: Int) -> (Rect, Rect) {
        let r = min(max(rows, 0), height)
        return (Rect(x: x, y: y, width: width, height: r), Rect(x: x, y: y + r, width: width, height: height - r))
    }
    /// The left `columns` columns (clamped to 0 … width), and the rest.
    public func splitLeft(_ columns: Int) -> (Rect, Rect) {
        let c = min(max(columns, 0), width)
        return (Rect(x: x, y: y, width: c, height: height), Rect(x: x + c, y: y, width: width - c, height: height))
    }
}

/// What widgets draw into and what a backend (ncurses, or a test) reads back.
///
/// Contract: every write outside the buffer is dropped and every read outside it gives a blank
/// `Cell()`, so widgets never need to check bounds; a new buffer is all blanks in `Style.plain`;
/// negative sizes are clamped to 0.
public struct CellBuffer: Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(), count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { x >= 0 && y >= 0 && x < width && y < height ? cells[y * width + x] : Cell() }
        set { if x >= 0 && y >= 0 && x < width && y < height { cells[y * width + x] = newValue } }
    }

    public var area: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// Writes `text` from (x, y), clipped to `limit` columns and the buffer. Text can come from
    /// data (class names, file names): a scalar a terminal would act on (ESC, CR, C1 controls,
    /// bidi overrides) is drawn as U+FFFD in its cell, so it can neither move the cursor nor
    /// shift the columns after it.
    public mutating func write(_ text: String, x: Int, y: Int, style: Style = .plain, limit: Int = .max) {
        guard y >= 0 && y < height else { return }
        var column = x
        for scalar in text.unicodeScalars {
            if column - x >= limit || column >= width { break }
            let shown = isUnsafeForTerminal(scalar) ? "\u{FFFD}" : scalar
            if column >= 0 { cells[y * width + column] = Cell(scalar: shown, style: style) }
            column += 1
        }
    }

    public mutating func fill(_ rect: Rect, scalar: Unicode.Scalar = " ", style: Style = .plain) {
        for y in max(0, rect.y) ..< min(height, rect.maxY) {
            for x in max(0, rect.x) ..< min(width, rect.maxX) {
                cells[y * width + x] = Cell(scalar: scalar, style: style)
            }
        }
    }

    /// Changes only the background of the cells in `rect`.
    public mutating func setBackground(_ rect: Rect, _ color: Color) {
        for y in max(0, rect.y) ..< min(height, rect.maxY) {
            for x in max(0, rect.x) ..< min(width, rect.maxX) { cells[y * width + x].style.background = color }
        }
    }

    /// A box-drawn border with a title in the top edge.
    public mutating func box(_ rect: Rect, title: String, style: Style = .plain, titleStyle: Style = Style(bold: true))
    {
        guard rect.width >= 2 && rect.height >= 2 else { return }
        for x in rect.x + 1 ..< rect.maxX - 1 {
            self[x, rect.y] = Cell(scalar: "─", style: style)
            self[x, rect.maxY - 1] = Cell(scalar: "─", style: style)
        }
        for y in rect.y + 1 ..< rect.maxY - 1 {
            self[rect.x, y] = Cell(scalar: "│", style: style)
            self[rect.maxX - 1, y] = Cell(scalar: "│", style: style)
        }
        self[rect.x, rect.y] = Cell(scalar: "┌", style: style)
        self[rect.maxX - 1, rect.y] = Cell(scalar: "┐", style: style)
        self[rect.x, rect.maxY - 1] = Cell(scalar: "└", style: style)
        self[rect.maxX - 1, rect.maxY - 1] = Cell(scalar: "┘", style: style)
        if !title.isEmpty { write(" \(title) ", x: rect.x + 2, y: rect.y, style: titleStyle, limit: rect.width - 4) }
    }

    /// Row `y` as text (tests read the screen this way).
    public func line(_ y: Int) -> String {
        var s = String.UnicodeScalarView()
        for x in 0 ..< width { s.append(cells[y * width + x].scalar) }
        return String(s)
    }

    /// The whole buffer as text, one line per row.
    public var text: String { (0 ..< height).map(line).joined(separator: "\n") }
}
