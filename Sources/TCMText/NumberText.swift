import Foundation

/// The one number formatter of reports and screens: `x` with `digits` decimals, or in scientific
/// notation with `digits − 2` (at least 1) when it is tiny but not zero, so 2.9e-04 does not
/// print as 0.0003. Non-finite values print as Foundation does (`nan`, `inf`); the dashboard
/// shows them as "–" (`Format.number`).
public func format(_ x: Double, _ digits: Int = 4) -> String {
    if x != 0 && abs(x) < 1e-3 { return String(format: "%.\(max(1, digits - 2))e", x) }
    return String(format: "%.\(digits)f", x)
}
