import Foundation

// Which linear layers carry adapters, and how module names are spelt.
//
// Canonical module names are transformers 5's in-memory names of LlavaForConditionalGeneration
// (what PEFT 0.21 keys adapters by): `model.language_model.layers.{i}.self_attn.q_proj`. Names in
// the other layouts are brought to that form by `canonicalModuleName`:
//   transformers 4.x llava-hf     language_model.model.layers.{i}...  ->  model.language_model.layers.{i}...
//   haotian-liu/LLaVA, LLaMA      model.layers.{i}...                 ->  model.language_model.layers.{i}...
// Defaults follow LLaVA's find_all_linear_names: every Linear of the language model except
// lm_head; never the vision tower, the projector or the resampler.

public enum TargetModules {
    /// The linear layers of a LLaMA decoder layer, in PEFT's usual order.
    public static let llamaLinearNames = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    /// The targets of the paper's LLM runs (svd_init.py "LLM-Adapters").
    public static let paperLLMNames = ["q_proj", "k_proj", "v_proj", "up_proj", "down_proj"]
    /// LLaVA's multimodal keywords: modules containing them are never adapted.
    public static let multimodalKeywords = ["mm_projector", "vision_tower", "vision_resampler", "multi_modal_projector",
                                            "vision_model"]

    /// The canonical (transformers 5 in-memory) spelling of a module name from any LLaVA layout.
    public static func canonicalModuleName(_ name: String) -> String {
        if name.hasPrefix("model.language_model.") { return name }
        if name.hasPrefix("language_model.model.") { return "model.language_model." + name.dropFirst("language_model.model.".count) }
        if name.hasPrefix("model.layers.") { return "model.language_model." + name.dropFirst("model.".count) }
        if name.hasPrefix("language_model.lm_head") { return String(name.dropFirst("language_model.".count)) }
        return name
    }

    /// True for a linear module of the language model that may carry an adapter.
    public static func isAdaptableLanguageModelModule(_ name: String) -> Bool {
        let canonical = canonicalModuleName(name)
        guard canonical.hasPrefix("model.language_model.") else { return false }
        if multimodalKeywords.contains(where: { canonical.contains($0) }) { return false }
        return lastComponent(canonical) != "lm_head"
    }

    /// Parses `q_proj,k_proj, v_proj` (the `--target-modules` flag).
    public static func parse(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The modules to adapt among `linearModules` (names of every Linear of the model, any
    /// layout), returned canonical and in the given order. `targets` nil: every adaptable one.
    /// A target matches a module whose name is the target or ends with "." + target (PEFT's
    /// rule); a target that matches no adaptable module is an error.
    public static func select(from linearModules: [String], targets: [String]? = nil) throws -> [String] {
        let candidates = linearModules.filter(isAdaptableLanguageModelModule).map(canonicalModuleName)
        guard let targets else { return candidates }
        let available = Array(Set(candidates.map(lastComponent))).sorted()
        func matches(_ module: String, _ target: String) -> Bool { module == target || module.hasSuffix("." + target) }
        for target in targets where !candidates.contains(where: { matches($0, target) }) {
            throw AdaptersError.unknownTargetModule(name: target, available: available)
        }
        let chosen = candidates.filter { module in targets.contains { matches(module, $0) } }
        guard !chosen.isEmpty else { throw AdaptersError.noTargetModules(requested: targets) }
        return chosen
    }

    /// PEFT `target_modules` regex naming the language-model linears with these last
    /// components: matches transformers 5 and 4.x in-memory names, never the vision tower.
    public static func pattern(for modules: [String]) -> String {
        let names = Array(Set(modules.map(lastComponent)))
        let ordered = llamaLinearNames.filter(names.contains) + names.filter { !llamaLinearNames.contains($0) }.sorted()
        return ".*language_model.*\\.(" + ordered.joined(separator: "|") + ")"
    }

    static func lastComponent(_ name: String) -> String {
        name.split(separator: ".").last.map(String.init) ?? name
    }
}
