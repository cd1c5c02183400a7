// The `<image>` placeholder, both conventions:
// - haotian-liu/LLaVA (llava/mm_utils.py `tokenizer_image_token`): each chunk between `<image>`s is
//   tokenised on its own, <s> kept once, and each `<image>` becomes IMAGE_TOKEN_INDEX (-200);
// - llava-hf: `<image>` is an added token whose id config.json names as `image_token_index`; the
//   model expands it to one position per image patch.

/// llava/constants.py.
public enum LLaVAConstants {
    public static let ignoreIndex = -100
    public static let imageTokenIndex = -200
    public static let imageToken = "<image>"
}

extension Tokenizer {
    /// `tokenizer_image_token(prompt, tokenizer)`.
    public func encodeWithImagePlaceholders(_ prompt: String, placeholder: Int = LLaVAConstants.imageTokenIndex) -> [Int] {
        let chunks = prompt.pythonSplit(LLaVAConstants.imageToken).map { encode($0, addSpecialTokens: true) }
        var ids: [Int] = []
        var offset = 0
        if let first = chunks.first?.first, first == bosTokenId {
            offset = 1
            ids.append(first)
        }
        for (k, chunk) in chunks.enumerated() {
            if k > 0 { ids.append(placeholder) }
            ids.append(contentsOf: chunk.dropFirst(offset))
        }
        return ids
    }
}

/// Replaces each `placeholder` by `count` copies of `imageTokenId` (the llava-hf layout, where the
/// language model sees one `<image>` position per projected patch).
public func expandImagePlaceholders(_ ids: [Int], placeholder: Int = LLaVAConstants.imageTokenIndex,
                                    imageTokenId: Int, count: Int) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(ids.count + count)
    for id in ids {
        if id == placeholder { out.append(contentsOf: repeatElement(imageTokenId, count: count)) } else { out.append(id) }
    }
    return out
}
