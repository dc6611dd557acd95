import ArgumentParser
import Foundation
import TCMMetrics
import TCMText

/// `analyze --shard K/N --counts-out part.tcmc`: one task of a sharded analysis.
struct ShardOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            """
            Compute part K of N (0-based) of the pair pass and write it with --counts-out; merge the parts \
            with `tcmscope merge`. 'auto' reads Slurm's SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or \
            Kubernetes' JOB_COMPLETION_INDEX with --shard-count.
            """, valueName: "K/N|auto"))
    var shard: String?

    @Option(
        help: Bounds.shardCount.help(
            """
            N for --shard auto when the scheduler gives only K (JOB_COMPLETION_INDEX).
            """, valueName: "N"))
    var shardCount: Int?

    @Option(
        help: ArgumentHelp(
            """
            Write the pair counts (and retrieval partials) as a count file (docs/count-files.md).
            """, valueName: "file"))
    var countsOut: String?

    func check() throws {
        try Bounds.shardCount.check(shardCount)
        if shard != nil && countsOut == nil {
            throw ValidationError("--shard needs --counts-out FILE (the part to merge)")
        }
        if shardCount != nil && shard != "auto" { throw ValidationError("--shard-count goes with --shard auto") }
        _ = try spec()
    }

    /// The shard this task computes (`nil`: the whole pass).
    func spec(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ShardSpec? {
        guard let shard else { return nil }
        if shard != "auto" {
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
                throw ValidationError("--shard takes K/N (e.g. 3/8) or auto, got '\(shard)'")
            }
            return try Self.make(k, n, source: "--shard \(shard)")
        }
        // Values from the environment are bounded like flags before any arithmetic on them:
        // Slurm's array indices and Kubernetes' completion index are below 2^31 (Slurm's
        // MaxArraySize is at most 4,000,001), so nothing below can overflow.
        func int(_ name: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let v = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError(
                    "--shard auto: \(name)='\(escapingControlCharacters(String(text.prefix(40))))' is not an integer")
            }
            guard range.contains(v) else {
                throw ValidationError(
                    "--shard auto: \(name) \(v) is out of range; allowed: [\(range.lowerBound), \(range.upperBound)]")
            }
            return v
        }
        let index = 0 ... Int(Int32.max)
        if let id = try int("SLURM_ARRAY_TASK_ID", index) {
            guard let count = try int("SLURM_ARRAY_TASK_COUNT", Bounds.shardCount.low ... Bounds.shardCount.high) else {
                throw ValidationError("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")
            }
            // --array=1-8 or 0-14:2 number tasks from MIN in STEPs: K counts them from 0.
            let low = try int("SLURM_ARRAY_TASK_MIN", index) ?? 0
            let step = try int("SLURM_ARRAY_TASK_STEP", 1 ... Int(Int32.max)) ?? 1
            guard id >= low else {
                throw ValidationError("--shard auto: SLURM_ARRAY_TASK_ID \(id) is below SLURM_ARRAY_TASK_MIN \(low)")
            }
            guard (id - low) % step == 0 else {
                throw ValidationError(
                    "--shard auto: SLURM_ARRAY_TASK_ID \(id) is not MIN \(low) + a multiple of STEP \(step)")
            }
            if let shardCount, shardCount != count {
                throw ValidationError("--shard-count \(shardCount) disagrees with SLURM_ARRAY_TASK_COUNT \(count)")
            }
            return try Self.make(
                (id - low) / step, count, source: "SLURM_ARRAY_TASK_ID \(id) of SLURM_ARRAY_TASK_COUNT \(count)")
        }
        if let index = try int("JOB_COMPLETION_INDEX", index) {
            guard let shardCount else {
                throw ValidationError(
                    "--shard auto with JOB_COMPLETION_INDEX needs --shard-count N (the Job's completions)")
            }
            return try Self.make(
                index, shardCount, source: "JOB_COMPLETION_INDEX \(index) with --shard-count \(shardCount)")
        }
        throw ValidationError(
            "--shard auto: neither SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT nor JOB_COMPLETION_INDEX is set")
    }

    private static func make(_ k: Int, _ n: Int, source: String) throws -> ShardSpec {
        guard Bounds.shardCount.contains(n) else {
            throw ValidationError("\(source): N \(n) is out of range; allowed: \(Bounds.shardCount.range)")
        }
        guard k >= 0 && k < n else { throw ValidationError("\(source): K \(k) is not in 0…\(n - 1)") }
        return ShardSpec(index: k, count: n)
    }
}
