import Foundation

/// Text and numbers as SVG writes them. Text from data (class names, file names) passes through
/// `label`: control characters and characters XML 1.0 forbids become U+FFFD, the markup
/// characters are escaped, and long names are cut, so no name can break the document or its layout.
public enum SVGText {
    /// Enough for any emoji sequence (a family with skin tones is 11 scalars) and accented letters.
    static let maxScalarsPerCharacter = 16

    /// XML-escaped, sanitised text, at most `limit` characters (an ellipsis marks a cut).
    public static func label(_ text: String, limit: Int = 28) -> String {
        var scalars = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            let v = s.value
            // Controls, XML's forbidden characters, and the bidi overrides (they could reorder the figure's text).
            let forbidden =
                v < 0x20 || (v >= 0x7F && v < 0xA0) || v == 0xFFFE || v == 0xFFFF || (v >= 0xFDD0 && v <= 0xFDEF)
                || (v >= 0x202A && v <= 0x202E) || (v >= 0x2066 && v <= 0x2069)
            scalars.append(forbidden ? "\u{FFFD}" : s)
        }
        // Cut by characters, and each character to at most `maxScalarsPerCharacter` scalars: one
        // grapheme can carry 20,000 combining marks and would otherwise pass a character limit whole.
        let sanitized = String(scalars)
        let total = sanitized.count
        var clean = String.UnicodeScalarView()
        var cut = total > limit
        for character in sanitized.prefix(cut ? limit - 1 : limit) {
            let parts = character.unicodeScalars
            clean.append(contentsOf: parts.prefix(maxScalarsPerCharacter))
            if parts.count > maxScalarsPerCharacter { cut = true }
        }
        return escape(String(clean) + (cut ? "…" : ""))
    }

    /// The five XML markup characters escaped.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A coordinate with two decimals (enough at figure scale, and short).
    static func n(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r)
    }

    /// Three significant digits, exponent form below 0.01 (OPIS terms span decades).
    static func significant(_ x: Double) -> String {
        x != 0 && abs(x) < 1e-2 ? String(format: "%.2e", x) : String(format: "%.3g", x)
    }

    /// A number for a tick or a title: short, exponent form for tiny values.
    static func value(_ x: Double, digits: Int = 4) -> String {
        if x != 0 && abs(x) < 1e-3 { return String(format: "%.2e", x) }
        var s = String(format: "%.\(digits)f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }
}

/// Colours for classes: a ten-colour categorical palette (Tableau 10) while it lasts, then hues
/// spaced by the golden angle, so neighbouring class indices never get similar colours.
public enum ClassColours {
    static let categorical = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    public static func colour(_ index: Int, of count: Int) -> String {
        if count <= categorical.count { return categorical[index] }
        let hue = (Double(index) * 137.50776).truncatingRemainder(dividingBy: 360)
        let lightness = [0.42, 0.55, 0.35][index % 3]
        return hex(hue: hue, saturation: 0.65, lightness: lightness)
    }

    static func hex(hue: Double, saturation s: Double, lightness l: Double) -> String {
        let c = (1 - abs(2 * l - 1)) * s
        let h = hue / 60
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        let m = l - c / 2
        func byte(_ v: Double) -> Int { max(0, min(255, Int(((v + m) * 255).rounded()))) }
        return String(format: "#%02x%02x%02x", byte(r), byte(g), byte(b))
    }
}

/// Axis ticks at 1, 2 or 5 × 10^k, about `target` of them across [lo, hi].
enum Ticks {
    static func nice(_ lo: Double, _ hi: Double, target: Int = 6) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(target)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var t = (lo / step).rounded(.up) * step
        var out: [Double] = []
        while t <= hi + step * 1e-9 {
            out.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        return out
    }
}

/// Spreads labels wanted at `ys` (any order) so that neighbours are at least `gap` apart and all
/// stay within [top, bottom]; returns the placed y of each, in the input order.
enum LabelPlacement {
    static func spread(_ ys: [Double], gap: Double, top: Double, bottom: Double) -> [Double] {
        let order = ys.indices.sorted { ys[$0] < ys[$1] }
        var placed = order.map { ys[$0] }
        for i in placed.indices {
            placed[i] = max(placed[i], top)
            if i > 0 { placed[i] = max(placed[i], placed[i - 1] + gap) }
        }
        // Pushed past the bottom: shift the tail back up, keeping the gaps.
        if let last = placed.last, last > bottom {
            placed[placed.count - 1] = bottom
            for i in stride(from: placed.count - 2, through: 0, by: -1) {
                placed[i] = min(placed[i], placed[i + 1] - gap)
            }
        }
        var out = [Double](repeating: 0, count: ys.count)
        for (k, i) in order.enumerated() { out[i] = placed[k] }
        return out
    }
}
