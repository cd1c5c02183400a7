import ArgumentParser

@main
struct VLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-bench",
        abstract: "Release-mode throughput benchmarks. Run with `swift run -c release vlm-bench ...`.",
        subcommands: [
            GemmBenchmark.self,
            ForwardBenchmark.self,
            ImagingBenchmark.self,
            SVDBenchmark.self,
            TrainBenchmark.self,
        ])
}
