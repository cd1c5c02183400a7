import ArgumentParser

@main
struct VLMEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-eval",
        abstract: "Generate answers for a benchmark and score them.",
        subcommands: [])
}
