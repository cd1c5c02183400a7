import Testing
import TensorCore
import Architectures
import Decoding

/// Batched greedy decoding (one [B, C] pass per step) gives every sequence exactly the tokens
/// transformers' generate gives it alone, with prompts of different lengths, including a
/// sequence that stops early and leaves the batch.
struct BatchedDecodingTests {
    @Test(arguments: ["llama", "llama-bf16"])
    func batchEqualsOneByOneAndTransformers(variant: String) throws {
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path(variant))
        let cases = variant == "llama" ? ModelFixtures.cases.llama : ModelFixtures.cases.llamaBF16
        #expect(cases.count >= 2)
        let length = cases.map(\.greedy.count).min()!
        let prompts = try cases.map { try model.embed($0.ids) }
        let batched = try GreedyDecoder(maxNewTokens: length).generateBatch(model, promptEmbeddings: prompts)
        for (c, result) in zip(cases, batched) {
            #expect(result.tokens == Array(c.greedy.prefix(length)), "\(variant) \(c.logits)")
        }
        // A stop token ends one sequence early; the others go on unchanged.
        let stop = cases[0].greedy[2]
        let stopping = try GreedyDecoder(maxNewTokens: length, stopTokens: [stop]).generateBatch(model, promptEmbeddings: prompts)
        for (prompt, result) in zip(prompts, stopping) {
            let alone = try GreedyDecoder(maxNewTokens: length, stopTokens: [stop]).generate(model, promptEmbeddings: prompt)
            #expect(result == alone)
        }
    }

    @Test func decodeStepLogitsEqualSingleSequenceSteps() throws {
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama"))
        let cases = ModelFixtures.cases.llama
        var caches: [KVCache] = [], singles: [Tensor] = []
        for c in cases {
            var cache = model.makeCache()
            _ = model.forward(embeddings: try model.embed(c.ids), cache: &cache)
            var alone = cache
            singles.append(model.logits(model.forward(embeddings: try model.embed([c.greedy[0]]), cache: &alone)))
            caches.append(cache)
        }
        let batched = model.logits(model.decodeStep(embeddings: try model.embed(cases.map { $0.greedy[0] }), caches: &caches))
        let vocabulary = batched.lastDimension
        for (b, single) in singles.enumerated() {
            let row = Tensor(shape: [1, vocabulary], storage: Array(batched.storage[(b * vocabulary)..<((b + 1) * vocabulary)]))
            #expect(row.maxAbsDifference(single) < 1e-4)
            #expect(caches[b].length == cases[b].ids.count + 1)
        }
    }
}
