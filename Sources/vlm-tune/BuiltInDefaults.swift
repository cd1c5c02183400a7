import CLISupport
import Foundation
import SyntheticWorld

/// The built-in default: the project's own small LLaVA (Data/base-model, pretrained by
/// Scripts/pretrain_default_model.sh) and the synthetic world's fine-tuning task, generated
/// into Data/generated/world on first use (deterministic, seed 0).
enum BuiltInDefaults {
    static let modelFolder = "Data/base-model"
    static let worldFolder = "Data/generated/world"
    static var fineTuningData: String { worldFolder + "/train/finetune.json" }
    static var images: String { worldFolder + "/images" }

    static func path(_ relative: String) -> String { ProjectRoot.resolve(relative) }

    static func note(_ text: String) { noteOnStandardError("vlm-tune", text) }

    /// Generate the world if it is not there yet, or was written by an older generator.
    static func ensureWorld() throws {
        try WorldGenerator.ensureDefaultWorld(in: path(worldFolder), encoder: LibraryImageEncoder()) {
            note("generating the built-in synthetic world (seed 0) into \(worldFolder); this takes about a minute")
        }
    }
}
