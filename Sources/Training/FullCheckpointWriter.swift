import Foundation
import SafeTensors
import TensorCore

/// Writes a model folder that is the source checkpoint with some tensors replaced (what
/// `--tune projector` and `--tune full` produce): same shards, key names and dtypes as the
/// input, every untouched tensor copied byte for byte, and the non-weight files (config,
/// tokenizer, preprocessor) copied along. Replacements are addressed by transformers'
/// in-memory names, the names the trainer uses.
public enum FullCheckpointWriter {
    /// The in-memory name of a tensor stored under `key`, for every layout we load:
    /// llava-hf as transformers 5 saves it (`language_model.model.*`, `language_model.lm_head.*`,
    /// `multi_modal_projector.*`, `vision_tower.*`) maps to `model.language_model.*`, `lm_head.*`,
    /// `model.multi_modal_projector.*`, `model.vision_tower.*`; the in-memory style itself,
    /// haotian-liu/LLaVA's (`model.layers.*`, `model.mm_projector.*`) and plain LLaMA's are kept.
    public static func inMemoryName(_ key: String) -> String {
        if key.hasPrefix("language_model.model.") { return "model.language_model." + key.dropFirst("language_model.model.".count) }
        if key.hasPrefix("language_model.lm_head.") { return "lm_head." + key.dropFirst("language_model.lm_head.".count) }
        if key.hasPrefix("multi_modal_projector.") || key.hasPrefix("vision_tower.") { return "model." + key }
        return key
    }

    static let copiedFiles = ["config.json", "generation_config.json", "preprocessor_config.json", "tokenizer.json",
                              "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
                              "chat_template.json", "processor_config.json"]

    /// Returns the number of tensors replaced. Every replacement must name a tensor of the
    /// checkpoint with the same shape.
    @discardableResult
    public static func write(source: String, replacing tensors: [String: Tensor], to output: String,
                             metadata: [String: String] = [:]) throws -> Int {
        let checkpoint = try SafeTensorsCheckpoint(path: source)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var used = Set<String>()
        for file in checkpoint.files {
            var records: [TensorRecord] = []
            for info in file.tensors {
                let name = inMemoryName(info.name)
                if let replacement = tensors[name] {
                    guard replacement.shape == info.shape else {
                        throw CheckpointError.cannotCreate(path: output, reason: "'\(name)' is \(replacement.shape), the checkpoint's '\(info.name)' is \(info.shape)")
                    }
                    let dtype: SafeTensorsDType = [.f16, .bf16].contains(info.dtype) ? info.dtype : .f32
                    records.append(TensorRecord(name: info.name, tensor: replacement, dtype: dtype))
                    used.insert(name)
                } else {
                    records.append(TensorRecord(name: info.name, dtype: info.dtype, shape: info.shape,
                                                bytes: Array(try file.rawBytes(info.name))))
                }
            }
            let fileName = URL(fileURLWithPath: file.path).lastPathComponent
            try SafeTensorsWriter.write(records, metadata: metadata.merging(file.metadata) { a, _ in a },
                                        to: output + "/" + fileName)
        }
        let unused = Set(tensors.keys).subtracting(used)
        guard unused.isEmpty else {
            throw CheckpointError.cannotCreate(path: output, reason: "no tensor of \(source) is named \(unused.sorted().prefix(3).joined(separator: ", "))")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder), isFolder.boolValue {
            for name in copiedFiles + [SafeTensorsCheckpoint.indexFileName] {
                let from = source + "/" + name
                guard FileManager.default.fileExists(atPath: from) else { continue }
                try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: from)), to: output + "/" + name)
            }
        }
        return used.count
    }
}
