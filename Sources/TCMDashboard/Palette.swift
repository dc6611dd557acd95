import Foundation
import TCMCells
import TCMText

/// Colours: distinct hues per class (from the 256-colour cube), and the fixed roles.
public enum Palette {
    static let classColors: [UInt8] = [
        39, 208, 76, 199, 226, 45, 141, 202, 118, 213, 33, 166, 48, 161, 220, 63, 154, 205, 81, 172,
    ]
    public static func classColor(_ c: Int) -> Color { .palette(classColors[c % classColors.count]) }
    public static let mean = Color.palette(255)
    public static let ghost = Color.palette(240)
    public static let cursor = Color.palette(58)
    public static let range = Color.palette(236)
    public static let axis = Color.palette(245)
    public static let bad = Color.palette(196)
    public static let good = Color.palette(46)
    public static let accent = Color.palette(75)
    /// The threshold's marks (legend, range bar) and the status line.
    public static let highlight = Color.palette(226)
    /// The title bar and its text.
    public static let titleBar = Color.palette(24)
    public static let titleText = Color.palette(231)
    /// The key names in the footer (dark on the accent).
    public static let keyCap = Color.palette(16)
    /// The help overlay's background.
    public static let overlay = Color.palette(235)
    /// The loading screen's progress bar.
    public static let progress = Color.palette(39)
}

/// Number formatting shared by the widgets.
enum Format {
    /// The report's formatter (`TCMText.format`), with a dash for values that are not numbers.
    static func number(_ x: Double, _ digits: Int = 4) -> String { x.isFinite ? format(x, digits) : "–" }
    static func far(_ x: Double) -> String { x > 0 ? String(format: "%.1e", x) : "0" }
}
