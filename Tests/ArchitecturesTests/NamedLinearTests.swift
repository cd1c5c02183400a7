import Testing
import TensorCore
import Layers
import Architectures

/// Adapters attach to the language model's linears by module path.
struct NamedLinearTests {
    struct ConstantDelta: LinearAdapter {
        var value: Float
        func delta(_ x: Tensor) -> Tensor { Tensor(repeating: value, shape: [x.rowCount, 20]) }
    }

    @Test func llavaNamesFollowTransformersInMemoryPaths() throws {
        guard case let .llava(hf) = try ModelLoader.load(folder: ModelFixtures.path("llava-hf")),
              case let .llava(original) = try ModelLoader.load(folder: ModelFixtures.path("llava-original")) else {
            Issue.record("not LLaVA"); return
        }
        #expect(hf.namedLinears.count == 2 * 7)
        #expect(hf.namedLinears[0].name == "model.language_model.layers.0.self_attn.q_proj")
        #expect(original.namedLinears.last?.name == "model.layers.1.mlp.down_proj")
    }

    @Test func anAdapterOnANamedLinearChangesTheOutput() throws {
        var model = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama"))
        let ids = ModelFixtures.cases.llama[0].ids
        let before = model.logits(model.forward(embeddings: try model.embed(ids)))
        let (name, path) = model.namedLinears.first { $0.name == "model.layers.1.self_attn.v_proj" }!
        #expect(name.hasSuffix("v_proj"))
        model[keyPath: path].adapter = ConstantDelta(value: 0)
        #expect(model.logits(model.forward(embeddings: try model.embed(ids))) == before)
        model[keyPath: path].adapter = ConstantDelta(value: 0.5)
        #expect(model.logits(model.forward(embeddings: try model.embed(ids))).maxAbsDifference(before) > 1e-3)
    }
}
