import Foundation
import SafeTensors
import TensorCore

// PEFT's adapter folder (huggingface/peft 0.21, `PeftModel.save_pretrained`):
//   adapter_config.json        LoraConfig as JSON, every field, keys sorted
//   adapter_model.safetensors  base_model.model.<module>.lora_A.weight [R, in] and .lora_B.weight [out, R],
//                              metadata {"format": "pt"}
// <module> is the in-memory module name: `model.language_model.layers.0.self_attn.q_proj` with
// transformers 5 (see Tests/Fixtures/adapters/peft_lora). Reading also takes the transformers 4.x
// (`language_model.model.layers...`) and original-LLaVA (`model.layers...`) spellings and PEFT's
// in-memory `.lora_A.default.weight`.

/// The LoraConfig fields we use. Everything else is written with PEFT's defaults.
public struct PEFTAdapterConfig: Sendable, Equatable {
    public var rank: Int
    public var alpha: Float
    public var dropout: Float
    /// PEFT's `target_modules`: a regex string or a list of names.
    public var targetModules: TargetSpecification
    public var useRSLoRA: Bool
    /// PEFT's `init_lora_weights`, as JSON: true, false, "gaussian", "pissa", ...
    public var initLoraWeights: InitLoraWeights
    public var baseModelNameOrPath: String?

    public enum TargetSpecification: Sendable, Equatable {
        case regex(String)
        case names([String])
    }

    public enum InitLoraWeights: Sendable, Equatable {
        case flag(Bool)
        case name(String)
    }

    public init(rank: Int, alpha: Float, dropout: Float, targetModules: TargetSpecification, useRSLoRA: Bool = false,
                initLoraWeights: InitLoraWeights = .flag(true), baseModelNameOrPath: String? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targetModules = targetModules
        self.useRSLoRA = useRSLoRA
        self.initLoraWeights = initLoraWeights
        self.baseModelNameOrPath = baseModelNameOrPath
    }

    /// The config for adapters initialised with `settings` on `modules`. SVD inits are written
    /// as init_lora_weights=true: with "pissa" PEFT would decompose the base again on load.
    public init(settings: AdapterSettings, modules: [String], baseModelNameOrPath: String? = nil) {
        self.init(rank: settings.rank, alpha: settings.alpha, dropout: settings.dropout,
                  targetModules: .regex(TargetModules.pattern(for: modules)), useRSLoRA: settings.useRSLoRA,
                  initLoraWeights: settings.initialization == .gaussian ? .name("gaussian") : .flag(true),
                  baseModelNameOrPath: baseModelNameOrPath)
    }

    public var scale: Float { useRSLoRA ? alpha / Float(rank).squareRoot() : alpha / Float(rank) }

    /// Every field PEFT 0.21 writes for a LoRA adapter on a LLaVA model, ours filled in.
    func jsonObject() -> [String: Any] {
        let null = NSNull()
        let alphaValue: Any = alpha == alpha.rounded() && abs(alpha) < 1e9 ? Int(alpha) as Any : (Double("\(alpha)") ?? Double(alpha)) as Any
        let targets: Any
        switch targetModules {
        case let .regex(pattern): targets = pattern
        case let .names(names): targets = names
        }
        let initValue: Any
        switch initLoraWeights {
        case let .flag(flag): initValue = flag
        case let .name(name): initValue = name
        }
        return [
            "alora_invocation_tokens": null, "alpha_pattern": [String: Any](),
            "arrow_config": null,
            "auto_mapping": ["base_model_class": "LlavaForConditionalGeneration",
                             "parent_library": "transformers.models.llava.modeling_llava"],
            "base_model_name_or_path": baseModelNameOrPath.map { $0 as Any } ?? null,
            "bias": "none", "corda_config": null, "ensure_weight_tying": false, "eva_config": null,
            "exclude_modules": null, "fan_in_fan_out": false, "inference_mode": true,
            "init_lora_weights": initValue, "kasa_config": null, "layer_replication": null, "layers_pattern": null,
            "layers_to_transform": null, "loftq_config": [String: Any](), "lora_alpha": alphaValue, "lora_bias": false,
            "lora_dropout": Double("\(dropout)") ?? Double(dropout), "lora_ga_config": null, "megatron_config": null,
            "megatron_core": "megatron.core", "modules_to_save": null, "monteclora_config": null, "peft_type": "LORA",
            "peft_version": "0.21.2", "qalora_group_size": 16, "r": rank, "rank_pattern": [String: Any](),
            "revision": null, "target_modules": targets, "target_parameters": null, "task_type": null,
            "trainable_token_indices": null, "use_bdlora": null, "use_dora": false, "use_qalora": false,
            "use_rslora": useRSLoRA, "velora_config": null,
        ]
    }

    /// Reads a LoRA adapter_config.json, refusing what we cannot apply faithfully.
    static func decode(_ data: Data, path: String) throws -> PEFTAdapterConfig {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw AdaptersError.invalidConfig(path: path, reason: "not a JSON object")
        }
        func fail(_ reason: String) -> AdaptersError { .invalidConfig(path: path, reason: reason) }
        if let type = object["peft_type"] as? String, type != "LORA" {
            throw fail("peft_type is \(type); only LORA adapters are supported")
        }
        guard let rank = (object["r"] as? NSNumber)?.intValue, rank >= 1 else { throw fail("key 'r' is missing or not a positive integer") }
        let alpha = (object["lora_alpha"] as? NSNumber)?.floatValue ?? 8  // PEFT's default
        let dropout = (object["lora_dropout"] as? NSNumber)?.floatValue ?? 0
        guard dropout >= 0 && dropout < 1 else { throw fail("lora_dropout \(dropout) is outside [0, 1)") }
        let targets: TargetSpecification
        if let pattern = object["target_modules"] as? String {
            targets = .regex(pattern)
        } else if let names = object["target_modules"] as? [String] {
            targets = .names(names)
        } else {
            throw fail("key 'target_modules' is missing or neither a string nor a list of strings")
        }
        for flag in ["use_dora", "fan_in_fan_out", "lora_bias"] where (object[flag] as? Bool) == true {
            throw fail("\(flag) = true is not supported")
        }
        if let bias = object["bias"] as? String, bias != "none" { throw fail("bias = \(bias) is not supported (only \"none\")") }
        for pattern in ["rank_pattern", "alpha_pattern"] {
            if let map = object[pattern] as? [String: Any], !map.isEmpty { throw fail("\(pattern) is not supported") }
        }
        if let saved = object["modules_to_save"] as? [Any], !saved.isEmpty {
            throw fail("modules_to_save is not supported: the adapter also replaces whole modules")
        }
        let initLora: InitLoraWeights
        if let flag = object["init_lora_weights"] as? Bool { initLora = .flag(flag) }
        else if let name = object["init_lora_weights"] as? String { initLora = .name(name) }
        else { initLora = .flag(true) }
        return PEFTAdapterConfig(rank: rank, alpha: alpha, dropout: dropout, targetModules: targets,
                                 useRSLoRA: (object["use_rslora"] as? Bool) ?? false, initLoraWeights: initLora,
                                 baseModelNameOrPath: object["base_model_name_or_path"] as? String)
    }
}

/// A set of adapters keyed by canonical module name, with their PEFT config.
public struct AdapterSet: Sendable, Equatable {
    public var config: PEFTAdapterConfig
    public var modules: [String: LowRankAdapter]

    public init(config: PEFTAdapterConfig, modules: [String: LowRankAdapter]) {
        self.config = config
        self.modules = modules
    }

    public static let configFileName = "adapter_config.json"
    public static let weightsFileName = "adapter_model.safetensors"

    /// PEFT's key of a module's A or B weight.
    public static func key(module: String, matrix: String) -> String {
        "base_model.model.\(TargetModules.canonicalModuleName(module)).\(matrix).weight"
    }

    /// Writes the folder (created if needed); both files atomically. `metadata` lands in the
    /// safetensors header beside PEFT's {"format": "pt"}.
    public func write(to folder: String, dtype: SafeTensorsDType = .f32, metadata: [String: String] = [:]) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AdaptersError.io(path: folder, reason: "cannot create the adapter folder: \(error.localizedDescription)")
        }
        var records: [TensorRecord] = []
        for name in modules.keys.sorted() {
            let adapter = modules[name]!
            records.append(TensorRecord(name: Self.key(module: name, matrix: "lora_A"), tensor: adapter.a, dtype: dtype))
            records.append(TensorRecord(name: Self.key(module: name, matrix: "lora_B"), tensor: adapter.b, dtype: dtype))
        }
        let weightsPath = (folder as NSString).appendingPathComponent(Self.weightsFileName)
        let configPath = (folder as NSString).appendingPathComponent(Self.configFileName)
        do {
            try SafeTensorsWriter.write(records, metadata: metadata.merging(["format": "pt"]) { $1 }, to: weightsPath)
            let json = try JSONSerialization.data(withJSONObject: config.jsonObject(),
                                                  options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            try AtomicFile.write(json, to: configPath)
        } catch let error as SafeTensorsError {
            throw AdaptersError.io(path: folder, reason: error.description)
        }
    }

    /// Reads a PEFT LoRA folder in any of the three key styles.
    public static func read(from folder: String) throws -> AdapterSet {
        let configPath = (folder as NSString).appendingPathComponent(configFileName)
        let weightsPath = (folder as NSString).appendingPathComponent(weightsFileName)
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw AdaptersError.io(path: configPath, reason: "cannot read the adapter config; is this a PEFT adapter folder?")
        }
        let config = try PEFTAdapterConfig.decode(data, path: configPath)
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(path: weightsPath) } catch let error as SafeTensorsError {
            throw AdaptersError.io(path: weightsPath, reason: error.description)
        }
        var a: [String: Tensor] = [:], b: [String: Tensor] = [:]
        for key in file.names {
            guard let (module, matrix) = parseKey(key) else { throw AdaptersError.unexpectedAdapterKey(path: weightsPath, key: key) }
            let tensor: Tensor
            do { tensor = try file.tensor(key) } catch let error as SafeTensorsError {
                throw AdaptersError.io(path: weightsPath, reason: error.description)
            }
            guard tensor.rank == 2 else {
                throw AdaptersError.shapeMismatch(module: module, tensor: matrix, expected: [], found: tensor.shape)
            }
            if matrix == "lora_A" { a[module] = tensor } else { b[module] = tensor }
        }
        var modules: [String: LowRankAdapter] = [:]
        for module in Set(a.keys).union(b.keys).sorted() {
            guard let am = a[module] else { throw AdaptersError.missingAdapterTensor(path: weightsPath, key: key(module: module, matrix: "lora_A")) }
            guard let bm = b[module] else { throw AdaptersError.missingAdapterTensor(path: weightsPath, key: key(module: module, matrix: "lora_B")) }
            guard am.shape[0] == config.rank else {
                throw AdaptersError.shapeMismatch(module: module, tensor: "lora_A", expected: [config.rank, am.shape[1]], found: am.shape)
            }
            guard bm.shape[1] == config.rank else {
                throw AdaptersError.shapeMismatch(module: module, tensor: "lora_B", expected: [bm.shape[0], config.rank], found: bm.shape)
            }
            modules[module] = LowRankAdapter(a: am, b: bm, scale: config.scale, dropout: config.dropout)
        }
        return AdapterSet(config: config, modules: modules)
    }

    /// (canonical module, "lora_A" | "lora_B") of a PEFT key, or nil for anything else.
    static func parseKey(_ key: String) -> (String, String)? {
        guard key.hasPrefix("base_model.model.") else { return nil }
        var rest = String(key.dropFirst("base_model.model.".count))
        guard rest.hasSuffix(".weight") else { return nil }
        rest.removeLast(".weight".count)
        if rest.hasSuffix(".default") { rest.removeLast(".default".count) }
        for matrix in ["lora_A", "lora_B"] where rest.hasSuffix("." + matrix) {
            let module = TargetModules.canonicalModuleName(String(rest.dropLast(matrix.count + 1)))
            return TargetModules.isAdaptableLanguageModelModule(module) ? (module, matrix) : nil
        }
        return nil
    }

    /// Checks that every adapted module exists in the base with a fitting [out, in] weight.
    /// `baseShapes` is keyed by module name in any layout.
    public func validate(againstBase baseShapes: [String: [Int]]) throws {
        var canonical: [String: [Int]] = [:]
        for (name, shape) in baseShapes { canonical[TargetModules.canonicalModuleName(name)] = shape }
        let missing = modules.keys.filter { canonical[$0] == nil }.sorted()
        guard missing.isEmpty else { throw AdaptersError.adapterModulesMissingFromBase(modules: missing) }
        for name in modules.keys.sorted() { try modules[name]!.validate(againstBaseShape: canonical[name]!, module: name) }
    }
}
