/// A dot canvas over a rectangle of cells: Braille gives 2 × 4 dots per cell; the block fallback
/// (for fonts without Braille) 1 × 2 with half blocks. Each cell keeps the colour of the last dot
/// drawn in it, so later layers (the mean curve, the focused class) win.
public struct Canvas {
    public enum Mode: Sendable { case braille, blocks }
    public let mode: Mode
    public let columns: Int
    public let rows: Int
    var bits: [UInt8]
    var colors: [Color?]
    var bolds: [Bool]

    public init(columns: Int, rows: Int, mode: Mode = .braille) {
        self.mode = mode
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        bits = Array(repeating: 0, count: self.columns * self.rows)
        colors = Array(repeating: nil, count: self.columns * self.rows)
        bolds = Array(repeating: false, count: self.columns * self.rows)
    }

    public var dotsWide: Int { columns * (mode == .braille ? 2 : 1) }
    public var dotsHigh: Int { rows * (mode == .braille ? 4 : 2) }

    /// Sets the dot (x, y), y = 0 at the top; outside dots are ignored.
    public mutating func set(_ x: Int, _ y: Int, color: Color, bold: Bool = false) {
        guard x >= 0 && y >= 0 && x < dotsWide && y < dotsHigh else { return }
        let cell: Int, bit: UInt8
        switch mode {
        case .braille:
            cell = (y / 4) * columns + x / 2
            let dx = x % 2, dy = y % 4
            let map: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
            bit = map[dx][dy]
        case .blocks:
            cell = (y / 2) * columns + x
            bit = y % 2 == 0 ? 1 : 2
        }
        bits[cell] |= bit
        colors[cell] = color
        bolds[cell] = bold
    }

    /// A straight line of dots (Bresenham).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, color: Color, bold: Bool = false) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, color: color, bold: bold)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy {
                err += dy
                x += sx
            }
            if e2 <= dx {
                err += dx
                y += sy
            }
        }
    }

    /// Draws the canvas into `buffer` at `origin`; cells without dots keep what was there.
    public func render(into buffer: inout CellBuffer, x originX: Int, y originY: Int) {
        for r in 0 ..< rows {
            for c in 0 ..< columns {
                let i = r * columns + c
                guard bits[i] != 0 else { continue }
                let scalar: Unicode.Scalar
                switch mode {
                case .braille: scalar = Unicode.Scalar(0x2800 + UInt32(bits[i]))!
                case .blocks: scalar = bits[i] == 3 ? "█" : (bits[i] == 1 ? "▀" : "▄")
                }
                var cell = buffer[originX + c, originY + r]
                cell.scalar = scalar
                cell.style.foreground = colors[i] ?? .terminalDefault
                cell.style.bold = bolds[i]
                buffer[originX + c, originY + r] = cell
            }
        }
    }
}
