import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Adapters

// Adapter folders against what PEFT 0.21 writes and computes (Tests/Fixtures/adapters, made by
// Scripts/fixtures/make_adapters_fixtures.py with a tiny random LlavaForConditionalGeneration).

private let base = Result { try SafeTensorsFile(path: fixturePath("tiny_llava/model.safetensors")) }

/// Shapes of the tiny base's linear weights, keyed by module name as the checkpoint spells it.
private func baseLinearShapes() throws -> [String: [Int]] {
    var shapes: [String: [Int]] = [:]
    for name in try base.get().names where name.hasSuffix(".weight") {
        let info = try base.get().info(name)
        if info.shape.count == 2 && !name.contains("embed") { shapes[String(name.dropLast(".weight".count))] = info.shape }
    }
    return shapes
}

private func baseWeight(_ module: String) throws -> Tensor {
    let names = Set(try base.get().names)
    return try base.get().tensor(#require(checkpointWeightKey(module: module, in: names)))
}

@Test func readsPEFTLoRAAndReproducesItsDeltasAndForward() throws {
    let set = try AdapterSet.read(from: fixturePath("peft_lora"))
    #expect(set.config.rank == 4 && set.config.alpha == 8 && set.config.scale == 2 && set.config.dropout == 0.05)
    #expect(set.modules.count == 14)
    try set.validate(againstBase: baseLinearShapes())
    let deltas = try SafeTensorsFile(path: fixturePath("peft_lora/delta_weights.safetensors"))
    #expect(Set(deltas.names) == Set(set.modules.keys))
    for name in deltas.names {
        #expect(relativeError(set.modules[name]!.delta(), try deltas.tensor(name)) <= 1e-6, "\(name)")
    }
    // one lora.Linear forward in eval mode
    let io = try SafeTensorsFile(path: fixturePath("peft_lora/module_io.safetensors"))
    let module = "model.language_model.layers.1.self_attn.q_proj"
    let x = try io.tensor("x")
    let (y, _) = set.modules[module]!.forward(x, baseOutput: matmul(x, try baseWeight(module), transposeB: true))
    #expect(relativeError(y, try io.tensor("y")) <= 1e-5)
}

@Test func writesPEFTsKeysAndConfigFields() throws {
    let peft = try AdapterSet.read(from: fixturePath("peft_lora"))
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try peft.write(to: folder)
    let again = try AdapterSet.read(from: folder)
    #expect(again == peft)  // exact round trip
    let ours = try SafeTensorsFile(path: folder + "/adapter_model.safetensors")
    let theirs = try SafeTensorsFile(path: fixturePath("peft_lora/adapter_model.safetensors"))
    #expect(Set(ours.names) == Set(theirs.names))
    #expect(ours.metadata["format"] == "pt")
    func object(_ path: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }
    let ourConfig = try object(folder + "/adapter_config.json")
    let peftConfig = try object(fixturePath("peft_lora/adapter_config.json"))
    #expect(Set(ourConfig.keys) == Set(peftConfig.keys))
    for key in ["r", "lora_alpha", "target_modules", "peft_type", "use_rslora", "bias", "init_lora_weights"] {
        #expect("\(ourConfig[key]!)" == "\(peftConfig[key]!)", "\(key)")
    }
}

@Test func readsTransformers4AndOriginalLLaVAKeyStyles() throws {
    let peft = try AdapterSet.read(from: fixturePath("peft_lora"))
    let source = try SafeTensorsFile(path: fixturePath("peft_lora/adapter_model.safetensors"))
    for (style, replacement) in [("transformers4", "base_model.model.language_model.model.layers."),
                                 ("original", "base_model.model.model.layers."),
                                 ("inmemory", "base_model.model.model.language_model.layers.")] {
        let folder = temporaryFolder(style)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var records: [TensorRecord] = []
        for name in source.names {
            var key = name.replacingOccurrences(of: "base_model.model.model.language_model.layers.", with: replacement)
            if style == "inmemory" { key = key.replacingOccurrences(of: ".weight", with: ".default.weight") }
            records.append(TensorRecord(name: key, tensor: try source.tensor(name)))
        }
        try SafeTensorsWriter.write(records, to: folder + "/adapter_model.safetensors")
        try FileManager.default.copyItem(atPath: fixturePath("peft_lora/adapter_config.json"), toPath: folder + "/adapter_config.json")
        #expect(try AdapterSet.read(from: folder) == peft, "\(style)")
    }
}

@Test func pissaInitMatchesPEFTsAndConversionMatchesPEFTs() throws {
    let initial = try AdapterSet.read(from: fixturePath("peft_pissa_init"))
    let trained = try AdapterSet.read(from: fixturePath("peft_pissa_trained"))
    let residuals = try SafeTensorsFile(path: fixturePath("peft_pissa_trained/residual_weights.safetensors"))
    // Our pissa init on the tiny base equals PEFT's pissa_init: B A and the residual.
    let settings = AdapterSettings(rank: 4, alpha: 8, dropout: 0, initialization: .pissa)
    for (name, peftAdapter) in initial.modules {
        let w = try baseWeight(name)
        let ours = try initializeModule(NamedWeight(name: name, shape: w.shape) { w }, settings: settings, cache: nil).module
        #expect(relativeError(product(ours.adapter), product(peftAdapter)) <= 1e-4, "\(name) B A")
        #expect(relativeError(ours.residualWeight!, try residuals.tensor(name + ".weight")) <= 1e-5, "\(name) residual")
    }
    // The rank-2R export equals PEFT's path_initial_model_for_weight_conversion output.
    let converted = try trained.convertedToOriginalBase(initial: initial)
    let peftConverted = try AdapterSet.read(from: fixturePath("peft_pissa_converted"))
    #expect(converted.config.rank == 8 && converted.config.alpha == 16)
    #expect(converted.modules == peftConverted.modules)
    // ... and on the original base it gives what the trained adapter gives on the residual.
    for (name, adapter) in converted.modules {
        var original = try baseWeight(name), residual = try residuals.tensor(name + ".weight")
        adapter.merge(into: &original)
        trained.modules[name]!.merge(into: &residual)
        #expect(relativeError(original, residual) <= 1e-5, "\(name)")
    }
}

@Test func adapterForAnotherBaseIsATypedError() throws {
    let set = try AdapterSet.read(from: fixturePath("peft_lora"))
    var shapes = try baseLinearShapes()
    shapes["language_model.model.layers.0.mlp.up_proj"] = [48, 40]
    #expect(throws: AdaptersError.shapeMismatch(module: "model.language_model.layers.0.mlp.up_proj", tensor: "lora_A",
                                                expected: [4, 40], found: [4, 32])) {
        try set.validate(againstBase: shapes)
    }
    shapes.removeValue(forKey: "language_model.model.layers.1.mlp.down_proj")
    #expect(throws: AdaptersError.adapterModulesMissingFromBase(modules: ["model.language_model.layers.1.mlp.down_proj"])) {
        try set.validate(againstBase: shapes)
    }
    // a file without B for one module, and one with a vision-tower key
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try FileManager.default.copyItem(atPath: fixturePath("peft_lora/adapter_config.json"), toPath: folder + "/adapter_config.json")
    let a = TensorRecord(name: "base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_A.weight", tensor: Tensor(zeros: [4, 32]))
    try SafeTensorsWriter.write([a], to: folder + "/adapter_model.safetensors")
    #expect(throws: AdaptersError.missingAdapterTensor(path: folder + "/adapter_model.safetensors",
                                                       key: "base_model.model.model.language_model.layers.0.self_attn.q_proj.lora_B.weight")) {
        _ = try AdapterSet.read(from: folder)
    }
    let vision = TensorRecord(name: "base_model.model.model.vision_tower.encoder.layers.0.self_attn.q_proj.lora_A.weight", tensor: Tensor(zeros: [4, 24]))
    try SafeTensorsWriter.write([vision], to: folder + "/adapter_model.safetensors")
    #expect(throws: AdaptersError.unexpectedAdapterKey(path: folder + "/adapter_model.safetensors", key: vision.name)) {
        _ = try AdapterSet.read(from: folder)
    }
}

@Test func targetSelectionFollowsLLaVA() throws {
    let linears = try baseLinearShapes().keys.sorted() + ["language_model.lm_head"]
    let all = try TargetModules.select(from: linears)
    #expect(all.count == 14)
    #expect(all.allSatisfy { $0.hasPrefix("model.language_model.layers.") })
    #expect(try Set(all) == Set(AdapterSet.read(from: fixturePath("peft_lora")).modules.keys))
    let narrowed = try TargetModules.select(from: linears, targets: TargetModules.parse("q_proj, v_proj"))
    #expect(narrowed.count == 4 && narrowed.allSatisfy { $0.hasSuffix("q_proj") || $0.hasSuffix("v_proj") })
    #expect(throws: AdaptersError.unknownTargetModule(name: "fc1", available: ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"])) {
        _ = try TargetModules.select(from: linears, targets: ["q_proj", "fc1"])
    }
    // original-LLaVA names: model.layers.*, model.mm_projector.0, lm_head
    let original = ["model.layers.0.self_attn.q_proj", "model.mm_projector.0", "model.mm_projector.2", "lm_head",
                    "model.vision_tower.vision_tower.vision_model.encoder.layers.0.self_attn.q_proj"]
    #expect(try TargetModules.select(from: original) == ["model.language_model.layers.0.self_attn.q_proj"])
    #expect(TargetModules.pattern(for: all) == ".*language_model.*\\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)")
}

@Test func decompositionCacheServesOtherRanksAndModes() throws {
    let folder = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let cache = try DecompositionCache(folder: folder)
    var g = SeededGenerator(seed: 12)
    let w = g.normalTensor(shape: [20, 30])
    let weight = NamedWeight(name: "model.language_model.layers.0.self_attn.q_proj", shape: [20, 30]) { w }
    let first = try initializeModule(weight, settings: AdapterSettings(rank: 4, initialization: .milora), cache: cache, prefetch: 6)
    #expect(!first.fromCache)
    for (rank, mode) in [(4, AdapterInitialization.milora), (2, .milora), (6, .pissa)] {
        let settings = AdapterSettings(rank: rank, initialization: mode)
        let again = try initializeModule(weight, settings: settings, cache: cache, prefetch: 6)
        let fresh = try initializeModule(weight, settings: settings, cache: nil)
        #expect(again.fromCache, "rank \(rank) \(mode)")
        #expect(again.module.adapter == fresh.module.adapter && again.module.residualWeight == fresh.module.residualWeight)
    }
    // outside what was computed: a miss that is merged into the entry, then a hit
    let mid = AdapterSettings(rank: 3, initialization: .mid)
    #expect(try !initializeModule(weight, settings: mid, cache: cache).fromCache)
    #expect(try initializeModule(weight, settings: mid, cache: cache).fromCache)
    #expect(try initializeModule(weight, settings: AdapterSettings(rank: 4, initialization: .milora), cache: cache).fromCache)
    // a damaged entry is a clear error
    let entry = try #require(FileManager.default.contentsOfDirectory(atPath: folder).first { $0.hasSuffix(".safetensors") })
    try Data("garbage".utf8).write(to: URL(fileURLWithPath: folder + "/" + entry))
    #expect(throws: AdaptersError.self) { _ = try initializeModule(weight, settings: mid, cache: cache) }
    #expect(DecompositionCache.key(of: w) != DecompositionCache.key(of: w.reshaped([30, 20])))
}

@Test func initializeModulesReportsProgress() throws {
    var g = SeededGenerator(seed: 13)
    let weights = (0..<3).map { i -> NamedWeight in
        let w = g.normalTensor(shape: [8, 6])
        return NamedWeight(name: "model.language_model.layers.\(i).self_attn.q_proj", shape: [8, 6]) { w }
    }
    var reports: [InitializationProgress] = []
    let result = try initializeModules(weights, settings: AdapterSettings(rank: 2), cache: nil) { reports.append($0) }
    #expect(result.map(\.name) == weights.map(\.name))
    #expect(reports.map(\.completed) == [1, 2, 3] && reports.allSatisfy { $0.total == 3 && $0.seconds >= 0 })
}

@Test func mergingIntoACheckpointOnDiskMatchesPEFTsDeltas() throws {
    let set = try AdapterSet.read(from: fixturePath("peft_lora"))
    let output = temporaryFolder()
    defer { try? FileManager.default.removeItem(atPath: output) }
    let changed = try mergeAdapters(set, checkpoint: fixturePath("tiny_llava"), output: output)
    #expect(changed == 14)
    #expect(FileManager.default.fileExists(atPath: output + "/config.json"))
    let merged = try SafeTensorsFile(path: output + "/model.safetensors"), original = try base.get()
    #expect(merged.names == original.names)
    let deltas = try SafeTensorsFile(path: fixturePath("peft_lora/delta_weights.safetensors"))
    for name in original.names {
        let module = TargetModules.canonicalModuleName(String(name.dropLast(".weight".count)))
        if deltas.contains(module) {
            var expected = try original.tensor(name)
            expected.add(try deltas.tensor(module))
            #expect(relativeError(try merged.tensor(name), expected) <= 1e-6, "\(name)")
        } else {
            #expect(Array(try merged.rawBytes(name)) == Array(try original.rawBytes(name)), "\(name) copied")
        }
    }
    // a bf16 checkpoint stays bf16
    let bf16Path = output + "/bf16.safetensors"
    try SafeTensorsWriter.write(original.names.map { TensorRecord(name: $0, tensor: try original.tensor($0), dtype: .bf16) }, to: bf16Path)
    try mergeAdapters(set, checkpoint: bf16Path, output: output + "/merged-bf16.safetensors")
    let mergedBF16 = try SafeTensorsFile(path: output + "/merged-bf16.safetensors")
    #expect(mergedBF16.tensors.allSatisfy { $0.dtype == .bf16 })
    // an adapter for another model
    var wrong = set
    wrong.modules["model.language_model.layers.7.self_attn.q_proj"] = set.modules.values.first!
    #expect(throws: AdaptersError.adapterModulesMissingFromBase(modules: ["model.language_model.layers.7.self_attn.q_proj"])) {
        try mergeAdapters(wrong, checkpoint: fixturePath("tiny_llava"), output: output + "/never")
    }
}
