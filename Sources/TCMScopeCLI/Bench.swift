import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks (see Benchmarks/README.md).")
    func run() throws {}
}
