import Foundation
import Testing

/// `bench pass --bootstrap B` prints every interval's cost as a share of the pass in the same run
/// (issue 32's target: at most 10 %), the median of as many runs as passes. Nothing is timed here:
/// the test holds the printed share to the printed times.
@Suite struct BenchBootstrapShareTests {
    @Test func theShareIsTheMedianIntervalTimeOverTheMedianPass() throws {
        let run = try tcmscope([
            "bench", "pass", "--samples", "300", "--classes", "30", "--dimension", "8", "--bootstrap", "20",
            "--python", "none", "--repeats", "3", "--range-changes", "1",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        var values: [String: Double] = [:]
        for line in run.stdout.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, let x = Double(parts[1]) { values[parts[0]] = x }
        }
        let all = try #require(values["bootstrap_all_seconds"]), pass = try #require(values["pass_seconds"])
        let share = try #require(values["bootstrap_all_share_of_pass"])
        #expect(abs(share - all / pass) <= 1e-12 * max(1, share))
        #expect(try #require(values["bootstrap_all_seconds_fastest"]) <= all)
        #expect(values["passes"] == 3 && values["bootstrap_replicates"] == 20)
    }
}
