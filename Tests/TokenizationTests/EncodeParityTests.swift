// Id-for-id and decode parity with the Hugging Face fast tokenizer (transformers 5 / tokenizers),
// on the committed corpus (Scripts/fixtures/make_tokenization_fixtures.py).
import Foundation
import Testing
@testable import Tokenization

@Suite struct EncodeParityTests {
    static let variants = ["vicuna", "legacy-metaspace", "legacy-normalizer", "llava-hf", "added-flags"]

    @Test(arguments: variants)
    func transformersIdsAndDecodes(variant: String) throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder(variant))
        let rows = try readJSONLines("encode_\(variant).jsonl")
        #expect(rows.count >= (variant == "vicuna" ? 2000 : 250))
        let bos = try #require(tokenizer.bosTokenId)
        var bad = Mismatches()
        for row in rows {
            let text = try #require(string(row, "text"))
            let ids = try #require(ints(row, "ids"))
            // Fixture shorthand: a null "ids_plain" means the ids without their leading <s>.
            let plain = ints(row, "ids_plain") ?? { #expect(ids.first == bos); return Array(ids.dropFirst()) }()
            bad.check(tokenizer.encode(text, addSpecialTokens: true), ids, "ids of \(text.debugDescription)")
            bad.check(tokenizer.encode(text, addSpecialTokens: false), plain, "plain ids of \(text.debugDescription)")
            if let decoded = string(row, "decoded") {
                bad.check(tokenizer.decode(ids), decoded, "decode of \(text.debugDescription)")
            }
            let skipped = string(row, "decoded_skip") ?? text
            bad.check(tokenizer.decode(ids, skipSpecialTokens: true), skipped, "decode(skip) of \(text.debugDescription)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }

    /// The same files read as `tokenizers.Tokenizer.from_file` reads them (no transformers rebuild).
    @Test(arguments: variants)
    func tokenizersFileIds(variant: String) throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder(variant), jsonSemantics: .file)
        var bad = Mismatches()
        var differing = 0
        for row in try readJSONLines("encode_\(variant).jsonl") {
            let text = try #require(string(row, "text"))
            let expected = try #require(ints(row, "file_ids") ?? ints(row, "ids"))
            if row["file_ids"] != nil { differing += 1 }
            bad.check(tokenizer.encode(text, addSpecialTokens: true), expected, "file ids of \(text.debugDescription)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
        // Only the 4.x-style file (prepend normaliser) reads differently from transformers 5's rebuild.
        #expect((differing > 0) == (variant == "legacy-normalizer"))
    }

    @Test func decodesArbitraryIdsLikeTokenizers() throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder("vicuna"))
        var bad = Mismatches()
        for row in try readJSONLines("decode_vicuna.jsonl") {
            let ids = try #require(ints(row, "ids"))
            bad.check(tokenizer.decode(ids), try #require(string(row, "decoded")), "decode \(ids)")
            bad.check(tokenizer.decode(ids, skipSpecialTokens: true), try #require(string(row, "decoded_skip")), "decode(skip) \(ids)")
        }
        #expect(bad.count == 0, "\(bad.summary)")
    }

    @Test func llavaHFImageTokenIsOneAddedToken() throws {
        let tokenizer = try Tokenizer.load(directory: tokenizerFolder("llava-hf"))
        let image = try #require(tokenizer.tokenId("<image>"))
        #expect(image == 1500)
        #expect(tokenizer.padTokenId == tokenizer.tokenId("<pad>"))
        let ids = tokenizer.encode("USER: <image>\nWhat is this?")
        #expect(ids.filter { $0 == image }.count == 1)
    }
}
