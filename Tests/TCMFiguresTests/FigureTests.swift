import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import TCMFigures

/// The elements of an SVG document, as an XML parser sees them (a parse failure fails the test).
final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    private var text = ""

    static func parse(_ svg: String) throws -> SVGElements {
        let collector = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = collector
        let ok = parser.parse()
        try #require(ok, "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")")
        return collector
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements.append((name, attributes))
        text = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if !text.isEmpty { texts.append(text) }
        text = ""
    }

    func all(_ name: String, where key: String, is value: String) -> [[String: String]] {
        elements.filter { $0.name == name && $0.attributes[key] == value }.map(\.attributes)
    }
    func one(_ name: String, id: String) throws -> [String: String] {
        let found = all(name, where: "id", is: id)
        try #require(found.count == 1, "one <\(name) id=\(id)>, found \(found.count)")
        return found[0]
    }
}

func number(_ attributes: [String: String], _ key: String) throws -> Double {
    try #require(Double(attributes[key] ?? ""), "attribute \(key)")
}

@Suite struct FigureTests {
    /// A hand-made report: thresholds 0…1, three classes with known curves, range [0.4, 0.7], t = 0.55.
    static func handMade(names: [String] = ["cat", "dog", "owl"]) -> CurvesFigureData {
        let thresholds = (0 ... 20).map { Double($0) / 20 }
        let curves = names.enumerated().map { c, name in
            CurvesFigureData.Curve(
                name: name, values: thresholds.map { max(0, 1 - $0 * Double(c + 1) / 2) }, opisTerm: Double(c) * 0.01)
        }
        let mean = thresholds.indices.map { i in curves.map { $0.values[i] }.reduce(0, +) / Double(curves.count) }
        return CurvesFigureData(
            thresholds: thresholds, curves: curves, mean: mean, rangeLow: 0.4, rangeHigh: 0.7,
            operatingThreshold: 0.55, opis: 0.0123, epsilonOPIS: 0.0456, epsilon: 0.05, utilityName: "F1(TPR, TNR)")
    }

    @Test func curvesFigureHasOnePathPerClassTheMeanTheRangeAndTheThreshold() throws {
        let svg = try SVGElements.parse(CurvesFigure.svg(Self.handMade()))
        #expect(svg.all("path", where: "class", is: "class-curve").count == 3)
        let mean = try svg.one("path", id: "mean")
        // The mean path has one point per threshold.
        #expect(mean["d"]?.filter { $0 == "L" }.count == 20)
        let frame = try svg.one("rect", id: "frame")
        let fx = try number(frame, "x"), fw = try number(frame, "width")
        let range = try svg.one("rect", id: "calibration-range")
        #expect(abs(try number(range, "x") - (fx + 0.4 * fw)) < 0.02)
        #expect(abs(try number(range, "width") - 0.3 * fw) < 0.03)
        let line = try svg.one("line", id: "operating-threshold")
        #expect(abs(try number(line, "x1") - (fx + 0.55 * fw)) < 0.02)
        #expect(try number(line, "x1") == (try number(line, "x2")))
        // OPIS and ε-OPIS in the title; the worst class (largest term) is labelled.
        #expect(svg.texts.contains { $0.contains("OPIS 0.0123") && $0.contains("ε-OPIS 0.0456") })
        let labels = svg.elements.filter { $0.attributes["class"] == "worst-label" }
        #expect(labels.count == 3)
        #expect(svg.texts.contains("owl"))
    }

    @Test func curvePathsFollowTheValues() throws {
        // The first class's curve 1 − t/2: at t = 1 it is at U = 0.5, halfway up the frame.
        let svg = try SVGElements.parse(CurvesFigure.svg(Self.handMade()))
        let frame = try svg.one("rect", id: "frame")
        let fy = try number(frame, "y"), fh = try number(frame, "height"), fx = try number(frame, "x"),
            fw = try number(frame, "width")
        let d = try #require(svg.all("path", where: "class", is: "class-curve").first?["d"])
        let last = try #require(d.split(separator: "L").last).split(separator: " ").compactMap { Double($0) }
        #expect(last.count == 2 && abs(last[0] - (fx + fw)) < 0.02 && abs(last[1] - (fy + fh / 2)) < 0.02)
    }

    @Test func namesFromDataCannotBreakTheDocument() throws {
        let hostile = [
            "<script>alert(1)</script>", "a & b \"quoted\" 'single'", "bell\u{7}nul\u{0}esc\u{1B}[31m",
            "\u{202E}reversed", String(repeating: "long", count: 50),
        ]
        let svgText = CurvesFigure.svg(Self.handMade(names: hostile))
        #expect(!svgText.contains("<script>"))
        let svg = try SVGElements.parse(svgText)
        #expect(svg.all("path", where: "class", is: "class-curve").count == hostile.count)
        #expect(!svg.texts.joined().unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!svg.texts.joined().contains("\u{202E}"))
        #expect(svg.texts.contains { $0.hasPrefix("<script>") })  // shown as text, escaped in the file
        #expect(svg.texts.allSatisfy { $0.count < 200 })
    }

    @Test func manyClassesKeepOnePathEachAndASummaryLegend() throws {
        let names = (0 ..< 60).map { "class \($0)" }
        let svg = try SVGElements.parse(CurvesFigure.svg(Self.handMade(names: names)))
        #expect(svg.all("path", where: "class", is: "class-curve").count == 60)
        #expect(svg.texts.contains { $0.contains("60 classes, one thin line each") })
        // Distinct colours for the first classes.
        let colours = Set(svg.all("path", where: "class", is: "class-curve").prefix(20).compactMap { $0["stroke"] })
        #expect(colours.count == 20)
    }

    @Test func projectionHasOnePathPerClassWithEveryPointAndALegend() throws {
        let classOf = [0, 1, 2, 0, 1, 2, 0]
        let layout: [Float] = [0, 0, 1, 1, -1, 2, 0.5, 0.5, 3, -1, 2, 2, -2, -2]
        let svg = try SVGElements.parse(
            ProjectionFigure.svg(layout: layout, classOf: classOf, classNames: ["a", "b<", "c"], title: "t-SNE & co"))
        let paths = svg.all("path", where: "class", is: "class-points")
        #expect(paths.count == 3)
        #expect(paths.map { $0["d"]?.components(separatedBy: "h0").count ?? 0 } == [4, 3, 3])  // points + 1
        #expect(svg.texts.contains("b< (2)"))
        #expect(svg.texts.contains("t-SNE & co"))
    }

    @Test func projectionKeepsEqualScales() throws {
        // A layout twice as wide as tall: the x extent on paper is twice the y extent.
        let layout: [Float] = [0, 0, 2, 1, 1, 0.5]
        let svg = try SVGElements.parse(
            ProjectionFigure.svg(layout: layout, classOf: [0, 0, 0], classNames: ["a"], title: "x"))
        let d = try #require(svg.all("path", where: "class", is: "class-points").first?["d"])
        let points = d.components(separatedBy: "h0").filter { !$0.isEmpty }.map {
            $0.dropFirst().split(separator: " ").compactMap { Double($0) }
        }
        let dx = abs(points[1][0] - points[0][0]), dy = abs(points[1][1] - points[0][1])
        #expect(abs(dx - 2 * dy) < 0.05)
    }

    @Test func ticksAreRoundNumbersAndLabelsNeverOverlap() {
        let unit = Ticks.nice(0, 1, target: 5)
        #expect(unit.count == 6 && zip(unit, [0, 0.2, 0.4, 0.6, 0.8, 1]).allSatisfy { abs($0 - $1) < 1e-12 })
        let ticks = Ticks.nice(-0.13, 0.87, target: 8)
        #expect(ticks.first! >= -0.13 && ticks.last! <= 0.87 && ticks.count >= 5)
        let placed = LabelPlacement.spread([100, 101, 102, 300, 299], gap: 30, top: 90, bottom: 310)
        let sorted = placed.sorted()
        for i in 1 ..< sorted.count { #expect(sorted[i] - sorted[i - 1] >= 30 - 1e-9) }
        #expect(sorted.first! >= 90 && sorted.last! <= 310)
    }

    /// Issue 18: one grapheme of 20,000 combining marks is one Character, so a character limit
    /// alone would pass it whole; each character keeps at most 16 scalars and the cut is marked.
    @Test func aGraphemeOfManyCombiningMarksIsCut() throws {
        let zalgo = "a" + String(repeating: "\u{0301}", count: 20_000) + "bc"
        let label = SVGText.label(zalgo)
        #expect(label.unicodeScalars.count <= 28 * SVGText.maxScalarsPerCharacter + 1)
        #expect(label.hasSuffix("…") && Array(label.unicodeScalars.prefix(2)) == ["a", "\u{0301}"])
        #expect(label.unicodeScalars.filter { $0 == "\u{0301}" }.count == SVGText.maxScalarsPerCharacter - 1)
        // In a whole figure: the document stays small and parses.
        let svgText = CurvesFigure.svg(Self.handMade(names: [zalgo, "dog", "owl"]))
        #expect(svgText.utf8.count < 200_000)
        _ = try SVGElements.parse(svgText)
        // Ordinary names are untouched; an emoji family (7 scalars) stays whole.
        #expect(SVGText.label("👨‍👩‍👧‍👦 family") == "👨‍👩‍👧‍👦 family")
        #expect(SVGText.label("Gänseblümchen") == "Gänseblümchen")
    }
}
