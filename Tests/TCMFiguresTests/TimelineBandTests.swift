import Foundation
import TCMMetrics
import Testing

@testable import TCMFigures

/// The timeline figure's interval bands (`analyze --watch --bootstrap --plot`): one closed path per
/// run and panel with intervals, inside its panel even where an end is 0 on the log scale.
@Suite struct TimelineBandTests {
    static func point(_ name: String, _ step: Int, _ opis: Double, _ low: Double?, _ high: Double) -> SnapshotPoint {
        SnapshotPoint(
            name: name, step: step, opis: opis, epsilonOPIS: opis * 10, recallAt1: 0.9, eer: 0.05, samples: 100,
            classes: 10,
            intervals: low.map {
                SnapshotIntervals(level: 0.95, opis: .init(low: $0, high: high), epsilonOPIS: nil)
            })
    }

    @Test func bandsStayInTheirPanelAndSkipSnapshotsWithoutIntervals() throws {
        // Run a: a lower end of 0 (the studentised interval's floor) and a snapshot without
        // intervals between two stretches; run b: one snapshot (a bar).
        let points = [
            Self.point("a", 0, 1e-2, 0, 3e-2), Self.point("a", 50, 1e-3, 5e-4, 2e-3),
            Self.point("a", 100, 5e-4, nil, 0),
            Self.point("a", 150, 2e-4, 1e-4, 4e-4), Self.point("b", 100, 3e-4, 2e-4, 5e-4),
        ]
        let svg = TimelineFigure.svg(points, title: "t")
        let parsed = try SVGElements.parse(svg)
        let bands = parsed.elements.filter { $0.name == "path" && $0.attributes["class"] == "band" }.map(\.attributes)
        #expect(bands.map { $0["data-run"] } == ["a", "b"], "OPIS panel only: no ε-OPIS intervals")
        let panel = try #require(parsed.elements.first { $0.name == "rect" && $0.attributes["stroke"] == "#999" })
        let (x, y) = (try number(panel.attributes, "x"), try number(panel.attributes, "y"))
        let (w, h) = (try number(panel.attributes, "width"), try number(panel.attributes, "height"))
        for band in bands {
            let d = try #require(band["d"])
            #expect(d.hasPrefix("M") && d.hasSuffix("Z"))
            let coordinates = d.split { " MLZ".contains($0) }.map { $0.split(separator: ",").map { Double($0)! } }
            for c in coordinates {
                #expect(c[0] >= x - 2.0001 && c[0] <= x + w + 2.0001, "\(c) outside the panel")
                #expect(c[1] >= y - 0.0001 && c[1] <= y + h + 0.0001, "\(c) outside the panel")
            }
        }
        // Two stretches for a (the snapshot without intervals splits them), one bar of 4 points for b.
        #expect(bands[0]["d"]!.filter { $0 == "M" }.count == 2)
        #expect(bands[1]["d"]!.split(separator: " ").count == 5, "\(bands[1]["d"]!)")
        // The lower end 0 runs along the panel's bottom.
        #expect(bands[0]["d"]!.contains(",\(SVGText.n(y + h))"))
        #expect(svg.contains("bands: 95% bootstrap intervals"))
        // Without intervals: no band, no note.
        let plain = TimelineFigure.svg(points.map { Self.point($0.name, $0.step, $0.opis, nil, 0) }, title: "t")
        #expect(!plain.contains("class=\"band\"") && !plain.contains("bands:"))
    }
}
