import Foundation
import Training

/// Every option after defaults were resolved: what run_config.json records.
struct TuneConfiguration: Encodable {
    var model_path: String
    var data_path: String
    var image_folder: String?
    var output_dir: String
    var built_in_default: Bool
    var tune: String
    var init_method: String
    var lora_r: Int
    var lora_alpha: Float
    var lora_dropout: Float
    var target_modules: [String]?
    var conv_mode: String
    var model_max_length: Int
    var image_aspect_ratio: String
    var gradient_checkpointing: Bool
    var unfreeze_mm_vision_tower: Bool
    var svd_cache: String
    var strict: Bool
    var trainer: TrainerSettings
}
