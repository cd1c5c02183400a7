import Foundation
import Imaging
import SyntheticWorld

/// The built-in default: the project's own small LLaVA (Data/base-model, pretrained by
/// Scripts/pretrain_default_model.sh) and the synthetic world's fine-tuning task, generated
/// into Data/generated/world on first use (deterministic, seed 0).
enum BuiltInDefaults {
    static let modelFolder = "Data/base-model"
    static let worldFolder = "Data/generated/world"
    static var fineTuningData: String { worldFolder + "/train/finetune.json" }
    static var images: String { worldFolder + "/images" }

    /// The project root: the current folder when it holds Data/, else the one the executable
    /// was built in (.build/<configuration>/vlm-tune -> ../..).
    static var root: String {
        let manager = FileManager.default
        if manager.fileExists(atPath: "Data") { return manager.currentDirectoryPath }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            if manager.fileExists(atPath: folder.appendingPathComponent("Data").path) { return folder.path }
            folder = folder.deletingLastPathComponent()
        }
        return manager.currentDirectoryPath
    }

    static func path(_ relative: String) -> String { root + "/" + relative }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data("vlm-tune: \(text)\n".utf8))
    }

    /// Generate the world if it is not there yet.
    static func ensureWorld() throws {
        let folder = path(worldFolder)
        guard !FileManager.default.fileExists(atPath: folder + "/train/finetune.json") else { return }
        note("generating the built-in synthetic world (seed 0) into \(worldFolder); this takes about a minute")
        let generator = WorldGenerator(seed: 0)
        _ = try generator.generate(into: URL(fileURLWithPath: folder), encoder: LibraryImageEncoder())
    }
}
