import ArgumentParser
import Foundation

/// `vlm-tune`: LLaVA-1.5 visual instruction tuning with MiLoRA (default), PiSSA or LoRA
/// adapters, projector pretraining, or full tuning. Flags follow haotian-liu/LLaVA's
/// scripts/v1_5/finetune_lora.sh (spelt with dashes); without model or data flags it tunes the
/// built-in default model on the built-in world's fine-tuning task.
@main
struct VLMTune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vlm-tune",
        abstract: "Fine-tune a LLaVA-style model with MiLoRA / PiSSA / LoRA adapters (or tune the projector or everything).",
        discussion: """
        Writes into --output-dir: run_config.json (every resolved option and the command line), \
        metrics.jsonl and loss.svg (the training curve), trainer_state.json, checkpoint-STEP/ folders \
        (an interrupted run resumes from the newest one when started again with the same --output-dir), \
        and the result: a PEFT adapter (adapter_config.json, adapter_model.safetensors), the projector \
        (non_lora_trainables.safetensors) and, for PiSSA/MiLoRA, residual_weights.safetensors plus \
        converted_lora/ (a plain LoRA of rank 2R that applies to the untouched base model). \
        --tune projector|full writes a whole model folder instead.
        """)

    @OptionGroup var options: TuneOptions

    func run() throws {
        do {
            try TuneRun(options: options).run()
        } catch let error as TuneFailure {
            throw error
        } catch {
            throw TuneFailure(message: "\(error)")
        }
    }
}

/// A user-facing failure: one line on stderr and a non-zero exit.
struct TuneFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
