import ArgumentParser

@main
struct VLMInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-inspect",
        abstract: "Diagnostics for checkpoints, images, tokenizers and models.",
        subcommands: [
            InspectSafeTensors.self,
            InspectPreprocess.self,
            InspectTokenize.self,
            InspectTemplate.self,
            InspectForward.self,
            InspectSVD.self,
        ])
}
