import Testing
import TensorCore
import Architectures
import Decoding

/// Plain LlamaForCausalLM (GQA, tied embeddings) in F32, BF16 and F16 against transformers.
struct LlamaParityTests {
    static let variants: [(String, [ModelFixtures.LlamaCase])] = [
        ("llama", ModelFixtures.cases.llama), ("llama-bf16", ModelFixtures.cases.llamaBF16), ("llama-f16", ModelFixtures.cases.llamaF16)]

    @Test(arguments: [0, 1, 2])
    func logitsAndGreedyIdsMatchTransformers(variant: Int) throws {
        let (name, cases) = Self.variants[variant]
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path(name))
        #expect(model.configuration.tieWordEmbeddings)
        #expect(model.configuration.kvHeadCount < model.configuration.headCount)
        #expect(model.configuration.ropeTheta == 500000)
        for c in cases {
            let logits = model.logits(model.forward(embeddings: try model.embed(c.ids)))
            #expect(logits.maxAbsDifference(try ModelFixtures.referenceTensor(c.logits)) < 1e-4, "\(name) \(c.logits)")
            let result = try GreedyDecoder(maxNewTokens: c.greedy.count).generate(model, ids: c.ids)
            #expect(result.tokens == c.greedy, "\(name) \(c.logits)")
        }
    }

    @Test func weightsStayMappedInTheirFileType() throws {
        let bf16 = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama-bf16"))
        #expect(bf16.layers[0].selfAttention.qProj.weight.elementType == .bf16)
        #expect(bf16.layers[0].selfAttention.qProj.weight.isMapped)
        let f16 = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama-f16"))
        #expect(f16.embedTokens.weight.elementType == .f16)
    }

    @Test func cachedDecodingEqualsFullRecomputation() throws {
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama"))
        let c = ModelFixtures.cases.llama[1]
        let sequence = c.ids + c.greedy
        let full = model.logits(model.forward(embeddings: try model.embed(sequence)))
        var cache = model.makeCache()
        // Prefill the prompt in one go, then one token at a time, then a chunk of three.
        var rows = model.logits(model.forward(embeddings: try model.embed(c.ids), cache: &cache)).storage
        var position = c.ids.count
        while position < sequence.count - 3 {
            rows += model.logits(model.forward(embeddings: try model.embed([sequence[position]]), cache: &cache)).storage
            position += 1
        }
        rows += model.logits(model.forward(embeddings: try model.embed(Array(sequence[position...])), cache: &cache)).storage
        #expect(cache.length == sequence.count)
        // Logits reach ~20 here; different GEMM shapes round differently by a few ulps.
        #expect(Tensor(shape: full.shape, storage: rows).maxAbsDifference(full) < 1e-4)
    }

    @Test func llavaCachedDecodingEqualsFullRecomputation() throws {
        guard case let .llava(model) = try ModelLoader.load(folder: ModelFixtures.path("llava-original")) else {
            Issue.record("not LLaVA"); return
        }
        let c = ModelFixtures.cases.llava[3]
        let pixels = try c.images.map { try ModelFixtures.pixels($0) }
        let features = try pixels.map { try model.encodeImage($0).features }
        let sequence = c.ids + c.greedy
        let full = model.language.logits(model.language.forward(embeddings: try model.embed(ids: sequence, imageFeatures: features)))
        var cache = model.language.makeCache()
        var rows = model.language.logits(model.language.forward(embeddings: try model.embed(ids: c.ids, imageFeatures: features), cache: &cache)).storage
        for token in c.greedy {
            rows += model.language.logits(model.language.forward(embeddings: try model.language.embed([token]), cache: &cache)).storage
        }
        // Logits reach ~20 here; different GEMM shapes round differently by a few ulps.
        #expect(Tensor(shape: full.shape, storage: rows).maxAbsDifference(full) < 1e-4)
    }

    @Test func generationStopsAtAStopToken() throws {
        let model = try ModelLoader.loadLlama(folder: ModelFixtures.path("llama"))
        let c = ModelFixtures.cases.llama[0]
        let stop = c.greedy[4]
        let firstStop = c.greedy.firstIndex(of: stop)!
        let result = try GreedyDecoder(maxNewTokens: 32, stopTokens: [stop]).generate(model, ids: c.ids)
        #expect(result.tokens == Array(c.greedy[...firstStop]))
        #expect(result.finishReason == .stopToken(stop))
    }
}
