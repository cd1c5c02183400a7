import Foundation
import SafeTensors
import Testing
import TensorCore
import Adapters
import Layers
@testable import Architectures

// Adapters applied to a whole model by module name, checked against PEFT's logits
// (Tests/Fixtures/adapters, made by Scripts/fixtures/make_adapters_fixtures.py with
// transformers + PEFT on the tiny LLaVA there).

enum AdapterFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Fixtures/adapters").path
    }()

    static func path(_ name: String) -> String { root + "/" + name }

    static func model() throws -> LlavaModel { try ModelLoader.loadHuggingFaceLlava(folder: path("tiny_llava")) }

    /// (ids with image tokens, pixels [3, S, S]) of inputs.safetensors.
    static func inputs() throws -> ([Int], Tensor) {
        let file = try SafeTensorsFile(path: path("inputs.safetensors"))
        let ids = try file.integers("input_ids").map(Int.init)
        let pixels = try file.tensor("pixel_values")
        return (ids, pixels.reshaped(Array(pixels.shape.suffix(3))))
    }

    static func logits(_ model: LlavaModel) throws -> Tensor {
        let (ids, pixels) = try inputs()
        return try model.logits(ids: ids, pixels: [pixels])
    }

    static func reference(_ file: String, _ name: String) throws -> Tensor {
        try SafeTensorsFile(path: path(file)).tensor(name)
    }
}

private func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> Float {
    precondition(a.count == b.count, "\(a.shape) vs \(b.shape)")
    return zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

private func maxRelativeChange(_ changed: Tensor, _ base: Tensor) -> Float {
    maxAbsDifference(changed, base) / base.storage.reduce(0) { max($0, abs($1)) }
}

@Test func baseModelMatchesTransformers() throws {
    let logits = try AdapterFixtures.logits(try AdapterFixtures.model())
    #expect(maxAbsDifference(logits, try AdapterFixtures.reference("reference_logits.safetensors", "base")) <= 1e-4)
}

@Test(arguments: [("peft_lora", "peft_lora"), ("peft_pissa_trained", "pissa_trained_on_residual"),
                  ("peft_pissa_converted", "pissa_converted_on_base")])
func peftWrittenAdapterReproducesPEFTLogits(folder: String, reference: String) throws {
    var model = try AdapterFixtures.model()
    try model.applyAdapter(folder: AdapterFixtures.path(folder))
    let expected = try AdapterFixtures.reference("reference_logits.safetensors", reference)
    #expect(maxAbsDifference(try AdapterFixtures.logits(model), expected) <= 1e-4, "\(folder)")
}

@Test(arguments: ["lora", "milora_trained", "milora_converted"])
func swiftWrittenAdapterGivesPEFTLogits(name: String) throws {
    for mode in AdapterApplicationMode.allCases {
        var model = try AdapterFixtures.model()
        try model.applyAdapter(folder: AdapterFixtures.path("swift_written/" + name), mode: mode)
        let expected = try AdapterFixtures.reference("swift_written/peft_logits.safetensors", name)
        #expect(maxAbsDifference(try AdapterFixtures.logits(model), expected) <= 1e-4, "\(name) \(mode)")
        if mode == .merge { #expect(model.namedLinears.allSatisfy { model[keyPath: $0.path].adapter == nil }) }
    }
}

@Test func convertedMiLoRAOnOriginalBaseEqualsResidualPlusAdapter() throws {
    var onResidual = try AdapterFixtures.model()
    try onResidual.applyAdapter(folder: AdapterFixtures.path("swift_written/milora_trained"))
    var onBase = try AdapterFixtures.model()
    try onBase.applyAdapter(folder: AdapterFixtures.path("swift_written/milora_converted"))
    let base = try AdapterFixtures.logits(try AdapterFixtures.model())
    let a = try AdapterFixtures.logits(onResidual), b = try AdapterFixtures.logits(onBase)
    #expect(maxAbsDifference(a, b) <= 1e-4)
    #expect(maxAbsDifference(a, base) > 1e-3)  // the adapter does change the output
}

@Test(arguments: AdapterInitialization.allCases)
func initialisedModelKeepsItsOutput(mode: AdapterInitialization) throws {
    let base = try AdapterFixtures.logits(try AdapterFixtures.model())
    var model = try AdapterFixtures.model()
    let settings = AdapterSettings(rank: 4, alpha: 8, dropout: 0, initialization: mode, seed: 3)
    let initialized = try model.initializeAdapters(settings: settings)
    #expect(initialized.adapters.modules.count == 14)
    #expect(initialized.residuals.isEmpty == !mode.usesSVD)
    #expect(model.namedLinears.allSatisfy { model[keyPath: $0.path].adapter != nil })
    #expect(maxRelativeChange(try AdapterFixtures.logits(model), base) <= 1e-5, "\(mode)")
    if mode.usesSVD {
        // the adapter carries the selected triplets: without the residual swap the output moves
        var withoutResidual = try AdapterFixtures.model()
        try withoutResidual.applyAdapters(initialized.adapters)
        #expect(maxRelativeChange(try AdapterFixtures.logits(withoutResidual), base) > 1e-4)
    }
}

@Test func initialisedAdaptersRoundTripThroughTheirFolder() throws {
    var model = try AdapterFixtures.model()
    let settings = AdapterSettings(rank: 2, alpha: 4, dropout: 0.05, initialization: .milora)
    let initialized = try model.initializeAdapters(settings: settings, targets: ["q_proj", "v_proj"])
    #expect(initialized.adapters.modules.count == 4)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("init-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try initialized.write(to: folder, moduleNames: model.namedLinears.map(\.name))
    var reloaded = try AdapterFixtures.model()
    try reloaded.applyAdapter(folder: folder)
    let expected = try AdapterFixtures.logits(model)
    #expect(maxAbsDifference(try AdapterFixtures.logits(reloaded), expected) == 0)
}

@Test func adapterErrorsAreClear() throws {
    var model = try AdapterFixtures.model()
    #expect(throws: AdaptersError.rankTooLarge(module: "model.language_model.layers.0.self_attn.q_proj", rank: 40, rows: 32, columns: 32)) {
        try model.initializeAdapters(settings: AdapterSettings(rank: 40, initialization: .lora))
    }
    do {
        _ = try model.initializeAdapters(settings: AdapterSettings(rank: 2, initialization: .lora), targets: ["q_proj", "qkv_proj"])
        Issue.record("an unknown target module was accepted")
    } catch let error as AdaptersError {
        #expect(error.description.contains("unknown target module 'qkv_proj'"))
    }
    // an adapter trained for the tiny LLaVA (hidden 32) on the models fixture (hidden 36)
    var other = try ModelLoader.loadHuggingFaceLlava(folder: ModelFixtures.path("llava-hf"))
    do {
        try other.applyAdapter(folder: AdapterFixtures.path("peft_lora"))
        Issue.record("an adapter for another base model was accepted")
    } catch let error as AdaptersError {
        #expect(error.description.contains("trained for another base model"), "\(error)")
    }
    // nothing was attached by the failed calls
    #expect(model.namedLinears.allSatisfy { model[keyPath: $0.path].adapter == nil })
    #expect(other.namedLinears.allSatisfy { other[keyPath: $0.path].adapter == nil })
}
