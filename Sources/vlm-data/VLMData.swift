import ArgumentParser

@main
struct VLMData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-data",
        abstract: "Generate the built-in synthetic visual world: images, instruction data and benchmark sets.",
        subcommands: [])
}
