import Foundation
import SafeTensors
import Testing
import TensorCore
@testable import Adapters

// Writes adapters for the tiny fixture LLaVA with our code, into a temporary folder (checked
// here), or into Tests/Fixtures/adapters/swift_written when ADAPTERS_WRITE_FIXTURES=1, where
// Scripts/fixtures/make_adapters_fixtures.py --check-only loads them into PEFT and records the
// result in swift_written/peft_check.json.

@Test func writeAdaptersForThePEFTLoadCheck() throws {
    let writeFixtures = ProcessInfo.processInfo.environment["ADAPTERS_WRITE_FIXTURES"] == "1"
    let root = writeFixtures ? fixturePath("swift_written") : temporaryFolder()
    defer { if !writeFixtures { try? FileManager.default.removeItem(atPath: root) } }
    let file = try SafeTensorsFile(path: fixturePath("tiny_llava/model.safetensors"))
    let names = Set(file.names)
    let linears = file.names.filter { $0.hasSuffix(".weight") && !$0.contains("embed") && (try? file.info($0).shape.count) == 2 }
        .map { String($0.dropLast(".weight".count)) }
    let modules = try TargetModules.select(from: linears)
    let weights = try modules.map { module -> NamedWeight in
        let key = try #require(checkpointWeightKey(module: module, in: names))
        let w = try file.tensor(key)
        return NamedWeight(name: module, shape: w.shape) { w }
    }
    var perturbation = SeededGenerator(seed: 21)
    func trained(_ adapter: LowRankAdapter) -> LowRankAdapter {
        var out = adapter
        for i in 0..<out.a.count { out.a.storage[i] += 0.05 * perturbation.nextNormal() }
        for i in 0..<out.b.count { out.b.storage[i] += 0.05 * perturbation.nextNormal() }
        return out
    }

    // plain LoRA (B non-zero, as after training)
    let loraSettings = AdapterSettings(rank: 4, alpha: 8, dropout: 0.05, initialization: .gaussian)
    let lora = try initializeModules(weights, settings: loraSettings, cache: nil)
    let loraSet = AdapterSet(config: PEFTAdapterConfig(settings: loraSettings, modules: modules),
                             modules: Dictionary(uniqueKeysWithValues: lora.map { ($0.name, trained($0.module.adapter)) }))
    try loraSet.write(to: root + "/lora")

    // MiLoRA: the trained adapter with its residual base, and the rank-2R export
    let settings = AdapterSettings(rank: 4, alpha: 8, dropout: 0.05, initialization: .milora)
    let milora = try initializeModules(weights, settings: settings, cache: nil)
    let config = PEFTAdapterConfig(settings: settings, modules: modules)
    let initial = AdapterSet(config: config, modules: Dictionary(uniqueKeysWithValues: milora.map { ($0.name, $0.module.adapter) }))
    let trainedSet = AdapterSet(config: config, modules: Dictionary(uniqueKeysWithValues: milora.map { ($0.name, trained($0.module.adapter)) }))
    try trainedSet.write(to: root + "/milora_trained", metadata: ["initialization": "milora"])
    try writeResidualWeights(milora.map { (checkpointWeightKey(module: $0.name, in: names)!, $0.module.residualWeight!) },
                             to: root + "/milora_trained/residual_weights.safetensors")
    let converted = try trainedSet.convertedToOriginalBase(initial: initial)
    try converted.write(to: root + "/milora_converted")

    #expect(try AdapterSet.read(from: root + "/lora") == loraSet)
    #expect(try AdapterSet.read(from: root + "/milora_converted").config.rank == 8)
    let residuals = try SafeTensorsFile(path: root + "/milora_trained/residual_weights.safetensors")
    #expect(residuals.names.count == 14 && residuals.names.allSatisfy(names.contains))

    // The committed copies are what PEFT loaded (peft_check.json): they must still be what our
    // code writes, and PEFT must have taken them whole.
    let committed = fixturePath("swift_written")
    for folder in ["lora", "milora_trained", "milora_converted"] {
        #expect(try AdapterSet.read(from: committed + "/" + folder) == AdapterSet.read(from: root + "/" + folder), "\(folder)")
    }
    let check = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: committed + "/peft_check.json"))) as? [String: Any])
    for folder in ["lora", "milora_trained", "milora_converted"] {
        let entry = try #require(check[folder] as? [String: Any])
        #expect(entry["loaded"] as? Bool == true && (entry["unmatched_keys"] as? [Any])?.isEmpty == true
                && entry["max_abs_difference_after_load"] as? Double == 0, "\(folder)")
    }
    #expect(try #require(check["converted_vs_residual_max_abs_logit_difference"] as? Double) <= 1e-4)
}
