import Testing
import TensorCore
import Architectures
import Decoding

/// Logits, vision features and greedy ids against transformers on every checkpoint layout.
struct LlavaParityTests {
    static let layouts = ["llava-hf", "llava-hf-4x", "llava-hf-inmemory", "llava-original"]

    func loadLlava(_ name: String) throws -> LlavaModel {
        guard case let .llava(model) = try ModelLoader.load(folder: ModelFixtures.path(name)) else {
            Issue.record("\(name) did not load as LLaVA")
            throw CancellationError()
        }
        return model
    }

    @Test(arguments: layouts)
    func logitsMatchTransformers(layout: String) throws {
        let model = try loadLlava(layout)
        #expect(model.layout == (layout == "llava-original" ? .original : .huggingFace))
        let pixels = try [0, 1].map { try ModelFixtures.pixels($0) }
        for c in ModelFixtures.cases.llava {
            let expected = try ModelFixtures.referenceTensor(c.logits)
            let logits = try model.logits(ids: c.ids, pixels: c.images.map { pixels[$0] })
            #expect(logits.shape == expected.shape)
            #expect(logits.maxAbsDifference(expected) < 1e-4, "\(layout) \(c.logits)")
            if model.layout == .huggingFace {
                // The llava-hf way: image_token_index repeated P times.
                let viaTokens = try model.logits(ids: c.expanded_ids, pixels: c.images.map { pixels[$0] })
                #expect(viaTokens.maxAbsDifference(expected) < 1e-4)
            }
        }
    }

    @Test(arguments: ["llava-hf", "llava-original"])
    func visionFeaturesMatchTransformers(layout: String) throws {
        let model = try loadLlava(layout)
        #expect(model.featuresPerImage == ModelFixtures.cases.patches)
        for i in 0..<2 {
            let (hidden, features) = try model.encodeImage(try ModelFixtures.pixels(i))
            #expect(hidden.maxAbsDifference(try ModelFixtures.referenceTensor("llava.image\(i).vision_hidden")) < 1e-5)
            #expect(features.maxAbsDifference(try ModelFixtures.referenceTensor("llava.image\(i).image_features")) < 1e-5)
        }
    }

    @Test(arguments: ["llava-hf", "llava-original"])
    func greedyIdsMatchTransformers(layout: String) throws {
        let model = try loadLlava(layout)
        let pixels = try [0, 1].map { try ModelFixtures.pixels($0) }
        for c in ModelFixtures.cases.llava {
            let result = try GreedyDecoder(maxNewTokens: c.greedy.count).generate(model, ids: c.ids, pixels: c.images.map { pixels[$0] })
            #expect(result.tokens == c.greedy, "\(layout) \(c.logits)")
            #expect(result.finishReason == .maxNewTokens)
        }
    }

    @Test(arguments: ["clip-vit-tiny", "clip-vision-bare"])
    func standaloneCLIPFolders(folder: String) throws {
        guard case let .visionTower(tower) = try ModelLoader.load(folder: ModelFixtures.path(folder)) else {
            Issue.record("\(folder) did not load as a CLIP tower")
            return
        }
        for i in 0..<2 {
            let states = try tower.hiddenStates(pixels: try ModelFixtures.pixels(i), indices: [-1, -2])
            #expect(states[0].maxAbsDifference(try ModelFixtures.referenceTensor("llava.image\(i).hidden_states_all")) < 1e-5)
            let withoutCLS = Tensor(shape: [states[1].rowCount - 1, states[1].lastDimension], storage: Array(states[1].storage[states[1].lastDimension...]))
            #expect(withoutCLS.maxAbsDifference(try ModelFixtures.referenceTensor("llava.image\(i).vision_hidden")) < 1e-5)
        }
    }

    @Test func originalLayoutUsesTheCLIPFolderPreprocessor() throws {
        let model = try loadLlava("llava-original")
        #expect(model.preprocessorFolder.hasSuffix("/clip-vit-tiny"))
        #expect(model.imageAspectRatio == "pad")
        let hf = try loadLlava("llava-hf")
        #expect(hf.preprocessorFolder == ModelFixtures.path("llava-hf"))
    }

    @Test func wrongNumberOfImagesIsAnError() throws {
        let model = try loadLlava("llava-hf")
        let c = ModelFixtures.cases.llava[0]
        #expect(throws: ArchitecturesError.self) { try model.logits(ids: c.ids, pixels: []) }
        let wrongSize = Tensor(zeros: [3, 14, 14])
        #expect(throws: ArchitecturesError.self) { try model.logits(ids: c.ids, pixels: [wrongSize]) }
    }
}
