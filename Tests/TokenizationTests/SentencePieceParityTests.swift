// tokenizer.model alone: the plain `sentencepiece` package (encode/decode) and transformers 4.37.2's
// slow LlamaTokenizer, legacy and non-legacy, which is what LLaVA trained with.
import Foundation
import Testing
@testable import Tokenization

@Suite struct SentencePieceParityTests {
    static let modelPath = tokenizerFolder("llava-original") + "/tokenizer.model"

    @Test func protobufFields() throws {
        let model = try SentencePieceModel(contentsOf: Self.modelPath)
        #expect(model.pieceCount == 1500)
        #expect(model.proto.modelType == 2)
        #expect(model.proto.byteFallback)
        #expect(model.proto.addDummyPrefix)
        #expect(!model.proto.removeExtraWhitespaces)
        #expect((model.proto.unkId, model.proto.bosId, model.proto.eosId, model.proto.padId) == (0, 1, 2, -1))
        #expect(model.piece(1) == "<s>")
        #expect(model.proto.pieces[3].kind == .byte && model.proto.pieces[3].piece == "<0x00>")
    }

    @Test func sentencePiecePackageIdsAndDecodes() throws {
        let model = try SentencePieceModel(contentsOf: Self.modelPath)
        var bad = Mismatches()
        for row in try readJSONLines("slow_nonlegacy.jsonl") {
            let text = try #require(string(row, "text"))
            // Shorthand: null sp_ids = the slow tokenizer's plain ids; null sp_decoded = the text.
            let ids = try #require(ints(row, "ids"))
            let plain = ints(row, "ids_plain") ?? Array(ids.dropFirst())
            let expected = ints(row, "sp_ids") ?? plain
            bad.check(model.encode(text), expected, "sp ids of \(text.debugDescription)")
            bad.check(model.decode(expected), string(row, "sp_decoded") ?? text, "sp decode of \(text.debugDescription)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }

    @Test func sentencePieceDecodesArbitraryIds() throws {
        let model = try SentencePieceModel(contentsOf: Self.modelPath)
        var bad = Mismatches()
        for row in try readJSONLines("decode_sentencepiece.jsonl") {
            let ids = try #require(ints(row, "ids"))
            bad.check(model.decode(ids), try #require(string(row, "decoded")), "sp decode \(ids)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }

    @Test(arguments: [false, true])
    func slowLlamaTokenizer(legacy: Bool) throws {
        let model = try SentencePieceModel(contentsOf: Self.modelPath)
        let slow = SlowLlamaTokenizer(model: model, legacy: legacy, addBosToken: true, addEosToken: false,
                                      bosToken: "<s>", eosToken: "</s>", unkToken: "<unk>")
        var bad = Mismatches()
        let rows = try readJSONLines(legacy ? "slow_legacy.jsonl" : "slow_nonlegacy.jsonl")
        #expect(rows.count >= 400)
        for row in rows {
            let text = try #require(string(row, "text"))
            let ids = try #require(ints(row, "ids"))
            bad.check(slow.encode(text, addSpecialTokens: true), ids, "ids of \(text.debugDescription)")
            bad.check(slow.encode(text, addSpecialTokens: false), ints(row, "ids_plain") ?? Array(ids.dropFirst()),
                      "plain ids of \(text.debugDescription)")
            bad.check(slow.decode(ids, skipSpecialTokens: true), string(row, "decoded_skip") ?? text,
                      "decode(skip) of \(text.debugDescription)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }

    /// The folder loader picks the slow tokenizer for a tokenizer.model-only checkpoint.
    @Test func loaderUsesTokenizerModelWhenAlone() throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder("llava-original"))
        guard case .sentencePiece(let slow) = tokenizer.backend else { Issue.record("expected the SentencePiece backend"); return }
        #expect(!slow.legacy && !tokenizer.legacy)
        #expect(tokenizer.modelMaxLength == 2048)
        #expect((tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.unkTokenId) == (1, 2, 0))
        let row = try #require(try readJSONLines("slow_nonlegacy.jsonl").first { string($0, "text") == "</s>USER: hi" })
        #expect(tokenizer.encode("</s>USER: hi") == ints(row, "ids"))
    }

    /// Where slow (what LLaVA used) and fast (transformers 5) disagree: texts that begin with a
    /// space or a literal "▁" (the slow tokenizer keeps one more "▁"). Checked, not assumed.
    @Test func slowAndFastDifferOnlyOnLeadingSpaceOrMetaspace() throws {
        let slowRows = try readJSONLines("slow_nonlegacy.jsonl")
        let fastRows = try readJSONLines("encode_vicuna.jsonl")
        var differing: [String] = []
        for (s, f) in zip(slowRows, fastRows) {
            let text = try #require(string(s, "text"))
            #expect(string(f, "text") == text)
            if ints(s, "ids") != ints(f, "ids") { differing.append(text) }
        }
        #expect(!differing.isEmpty)
        for text in differing {
            let first = text.unicodeScalars.first
            #expect(first == " " || first == "\u{2581}", "slow and fast differ on \(text.debugDescription)")
        }
    }

    /// add_bos_token false / add_eos_token true from the config, on both backends.
    @Test(arguments: [("vicuna", "encode_vicuna_eos.jsonl", Tokenizer.Source.tokenizerJSON),
                      ("llava-original", "slow_nonlegacy_eos.jsonl", Tokenizer.Source.sentencePiece)])
    func configBosEosSettings(folder: String, fixture: String, source: Tokenizer.Source) throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder(folder), source: source) { config in
            config.addBosToken = false
            config.addEosToken = true
        }
        var bad = Mismatches()
        let rows = try readJSONLines(fixture)
        #expect(rows.count == 100)
        for row in rows {
            let text = try #require(string(row, "text"))
            bad.check(tokenizer.encode(text), try #require(ints(row, "ids")), "ids of \(text.debugDescription)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }
}
