/// Everything a key can ask the dashboard to do.
public enum DashboardCommand: Sendable, Equatable, CaseIterable {
    case quit, toggleHelp, closeHelp, nextPane, previousPane
    case thresholdDown, thresholdUp, thresholdDownFast, thresholdUpFast
    case classUp, classDown
    case rangeLowDown, rangeLowUp, rangeHighDown, rangeHighUp, rangeMode, rangeReset
    case sort, canvasMode, ghost, freeze, expand
    case toggleTCM, nextLoss, train, pauseOrResume, cancel, startAB, flipAB
    case reproject, save
    case olderSnapshot, newerSnapshot
}

/// One line of the key table: keys that do one thing (or its two directions), how the footer and
/// the help overlay name them, and where the footer lists them.
public struct KeyGroup: Sendable {
    /// When the footer shows the group.
    public enum Footer: Sendable, Equatable {
        /// Help only.
        case never
        /// In the footer of these panes, before the global keys.
        case panes([Pane])
        /// After the focused pane's keys, in every pane.
        case always
        /// In every pane, only while no A/B run exists / once one does.
        case withoutAB, withAB
    }

    /// Where the group applies: fine-tuning keys give way to the watched run's when watching.
    public enum Context: Sendable, Equatable { case any, fineTuning, watching }

    /// The keys as the help overlay writes them ("←/→ h/l").
    public let caps: String
    /// The keys as the footer writes them ("←→"), and the footer's word for the action.
    public let footerCaps: String
    public let footerLabel: String
    public let footer: Footer
    /// The help overlay's line (after `caps`).
    public let help: String
    /// Shares the previous group's help line ("r R   …; …"), so the overlay fits 80 × 24.
    public var joinsPrevious = false
    public var context = Context.any
    public let bindings: [(key: Key, command: DashboardCommand)]

    init(
        caps: String, footerCaps: String, footerLabel: String, footer: Footer, help: String,
        joinsPrevious: Bool = false, context: Context = .any, bindings: [(key: Key, command: DashboardCommand)]
    ) {
        self.context = context
        self.caps = caps
        self.footerCaps = footerCaps
        self.footerLabel = footerLabel
        self.footer = footer
        self.help = help
        self.joinsPrevious = joinsPrevious
        self.bindings = bindings
    }
}

/// Every key the dashboard answers, in one table (lazygit's keybinding table is the model):
/// `DashboardState.handle` dispatches through it, the footer lists the focused pane's groups,
/// the `?` overlay lists them all, and `KeyTableTests` checks README's key table against it.
/// A key added here is handled, shown and documented, or a test fails.
public enum KeyTable {
    public static let groups: [KeyGroup] = [
        KeyGroup(
            caps: "←/→ h/l", footerCaps: "←→", footerLabel: "threshold", footer: .panes([.curves]),
            help: "move the operating threshold (H/L: ×10)",
            bindings: [
                (.left, .thresholdDown), (.character("h"), .thresholdDown), (.right, .thresholdUp),
                (.character("l"), .thresholdUp), (.character("H"), .thresholdDownFast),
                (.character("L"), .thresholdUpFast),
            ]),
        KeyGroup(
            caps: "↑/↓ k/j", footerCaps: "↑↓", footerLabel: "class", footer: .panes([.curves, .table, .projection]),
            help: "focus a class (curves, table, projection)",
            bindings: [
                (.up, .classUp), (.character("k"), .classUp), (.down, .classDown), (.character("j"), .classDown),
            ]),
        KeyGroup(
            caps: "[ ]", footerCaps: "[ ]", footerLabel: "lo", footer: .panes([.range]),
            help: "range: low end",
            bindings: [(.character("["), .rangeLowDown), (.character("]"), .rangeLowUp)]),
        KeyGroup(
            caps: "{ }", footerCaps: "{ }", footerLabel: "hi", footer: .panes([.range]),
            help: "high end (by FAR, or by similarity after r)",
            joinsPrevious: true, bindings: [(.character("{"), .rangeHighDown), (.character("}"), .rangeHighUp)]),
        KeyGroup(
            caps: "r", footerCaps: "r", footerLabel: "FAR/sim", footer: .panes([.range]),
            help: "edit the range by FAR ↔ similarity", bindings: [(.character("r"), .rangeMode)]),
        KeyGroup(
            caps: "R", footerCaps: "R", footerLabel: "reset", footer: .panes([.range]),
            help: "reset it to FAR 1e-1…1e-2", joinsPrevious: true, bindings: [(.character("R"), .rangeReset)]),
        KeyGroup(
            caps: "g", footerCaps: "g", footerLabel: "ghost", footer: .panes([.curves]),
            help: "ghost: the curves before fine-tuning", bindings: [(.character("g"), .ghost)]),
        KeyGroup(
            caps: "b", footerCaps: "b", footerLabel: "braille/blocks", footer: .panes([.curves]),
            help: "Braille ↔ block dots", bindings: [(.character("b"), .canvasMode)]),
        KeyGroup(
            caps: "e", footerCaps: "e", footerLabel: "expand", footer: .panes([.curves]),
            help: "expand the curves to the whole screen", bindings: [(.character("e"), .expand)]),
        KeyGroup(
            caps: "o", footerCaps: "o", footerLabel: "sort", footer: .panes([.table]),
            help: "sort classes by OPIS term or by name", bindings: [(.character("o"), .sort)]),
        KeyGroup(
            caps: "m", footerCaps: "m", footerLabel: "PCA/t-SNE", footer: .panes([.projection]),
            help: "projection: PCA ↔ t-SNE (t-SNE animates in the background)",
            bindings: [(.character("m"), .reproject)]),
        KeyGroup(
            caps: "t", footerCaps: "t", footerLabel: "train", footer: .panes([.training]),
            help: "fine-tune (bundled checkpoint or an adapter)",
            context: .fineTuning, bindings: [(.character("t"), .train)]),
        KeyGroup(
            caps: "T", footerCaps: "T", footerLabel: "TCM", footer: .panes([.training]),
            help: "TCM on/off", joinsPrevious: true, context: .fineTuning, bindings: [(.character("T"), .toggleTCM)]),
        // n works in every pane; the footer lists it with fine-tuning only, to leave the status
        // line its room at 120 columns.
        KeyGroup(
            caps: "n", footerCaps: "n", footerLabel: "loss", footer: .panes([.training]),
            help: "next base loss (contrastive, triplet, …) for the next run", context: .fineTuning,
            bindings: [(.character("n"), .nextLoss)]),
        KeyGroup(
            caps: "p", footerCaps: "p", footerLabel: "pause", footer: .panes([.training]),
            help: "pause-resume", context: .fineTuning, bindings: [(.character("p"), .pauseOrResume)]),
        KeyGroup(
            caps: "c", footerCaps: "c", footerLabel: "cancel", footer: .panes([.training]),
            help: "cancel fine-tuning", joinsPrevious: true, context: .fineTuning,
            bindings: [(.character("c"), .cancel)]),
        KeyGroup(
            caps: "f", footerCaps: "f", footerLabel: "freeze", footer: .panes([.training]),
            help: "freeze the display", joinsPrevious: true, context: .fineTuning,
            bindings: [(.character("f"), .freeze)]),
        KeyGroup(
            caps: ", .", footerCaps: ", .", footerLabel: "snapshot", footer: .always,
            help: "watched run: older / newer snapshot (ghost: the one before)", context: .watching,
            bindings: [(.character(","), .olderSnapshot), (.character("."), .newerSnapshot)]),
        KeyGroup(
            caps: "A", footerCaps: "A", footerLabel: "A/B", footer: .withoutAB,
            help: "A/B: loss alone vs + TCM from one start", context: .fineTuning,
            bindings: [(.character("A"), .startAB)]),
        KeyGroup(
            caps: "a", footerCaps: "a", footerLabel: "flip A/B", footer: .withAB,
            help: "flip the shown run",
            joinsPrevious: true, bindings: [(.character("a"), .flipAB)]),
        KeyGroup(
            caps: "Tab", footerCaps: "Tab", footerLabel: "pane", footer: .always,
            help: "next pane (Shift-Tab: previous)", bindings: [(.tab, .nextPane), (.backTab, .previousPane)]),
        KeyGroup(
            caps: "s", footerCaps: "s", footerLabel: "save", footer: .always,
            help: "save data, curves, figures, report, model",
            bindings: [(.character("s"), .save)]),
        KeyGroup(
            caps: "?", footerCaps: "?", footerLabel: "help", footer: .always,
            help: "help (? or Esc closes it)",
            bindings: [(.character("?"), .toggleHelp), (.escape, .closeHelp)]),
        KeyGroup(
            caps: "q", footerCaps: "q", footerLabel: "quit", footer: .always, help: "quit",
            joinsPrevious: true, bindings: [(.character("q"), .quit)]),
    ]

    /// The group a command belongs to.
    static func group(of command: DashboardCommand) -> KeyGroup? {
        groups.first { $0.bindings.contains { $0.command == command } }
    }

    /// The command bound to `key`, if any.
    public static func command(for key: Key) -> DashboardCommand? {
        for group in groups { if let b = group.bindings.first(where: { $0.key == key }) { return b.command } }
        return nil
    }

    /// The footer's (keys, label) pairs for the focused pane, in table order: the pane's own
    /// groups, then the A/B key that applies, then the global ones.
    static func footer(focus: Pane, hasAB: Bool, watching: Bool = false) -> [(String, String)] {
        let context: KeyGroup.Context = watching ? .watching : .fineTuning
        func entries(_ wanted: (KeyGroup.Footer) -> Bool) -> [(String, String)] {
            groups.filter { wanted($0.footer) && ($0.context == .any || $0.context == context) }.map {
                ($0.footerCaps, $0.footerLabel)
            }
        }
        let own = entries { if case .panes(let panes) = $0 { panes.contains(focus) } else { false } }
        let ab = entries { $0 == (hasAB ? .withAB : .withoutAB) }
        return own + ab + entries { $0 == .always }
    }

    /// The help overlay's lines (without its title): one per group, groups that join the
    /// previous one on its line.
    static func helpLines(saveDirectory: String) -> [(caps: String, text: String)] {
        var lines: [(caps: String, text: String)] = []
        for g in groups {
            let text = g.bindings.contains { $0.command == .save } ? "\(g.help) (\(saveDirectory)/)" : g.help
            if g.joinsPrevious, let last = lines.popLast() {
                lines.append((last.caps + " " + g.caps, last.text + "; " + text))
            } else {
                lines.append((g.caps, text))
            }
        }
        lines.insert(("mouse", "click: threshold or class; drag a range end"), at: 2)
        return lines
    }
}
