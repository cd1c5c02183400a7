import Foundation

// Answer normalisation of the VQA family (benchmarks.md sections 2.1 and 2.2).
// Mirrors: haotian-liu/LLaVA llava/eval/m4c_evaluator.py `EvalAIAnswerProcessor` (from MMF) and
// GT-Vision-Lab/VQA PythonEvaluationTools/vqaEvaluation/vqaEval.py `processPunctuation` /
// `processDigitArticle`. The two share the punctuation list, number map, articles and
// contractions; they differ in the comma test and in the EvalAI `word_tokenize` step.

/// The 21 punctuation characters, in upstream order (the order matters: each step tests the
/// step's input string, not the working copy).
let vqaPunctuation: [String] = [";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-",
                                ">", "<", "@", "`", ",", "?", "!"]

let vqaNumberMap: [String: String] = ["none": "0", "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4",
                                      "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9", "ten": "10"]

let vqaArticles: Set<String> = ["a", "an", "the"]

/// Python's `\d` in a str pattern: Unicode decimal digits.
func isPythonDigit(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.numericType == .decimal }

/// EvalAI: `(?<=\d)(\,)+(?=\d)` found anywhere. VQA: `(\d)(\,)(\d)` found anywhere.
private func hasDigitCommaDigit(_ scalars: [Unicode.Scalar], allowCommaRuns: Bool) -> Bool {
    var i = 0
    while i < scalars.count {
        if scalars[i] == ",", i > 0, isPythonDigit(scalars[i - 1]) {
            var j = i
            while allowCommaRuns, j + 1 < scalars.count, scalars[j + 1] == "," { j += 1 }
            if j + 1 < scalars.count, isPythonDigit(scalars[j + 1]) { return true }
        }
        i += 1
    }
    return false
}

/// `processPunctuation` of both upstreams; `evalAIComma` selects EvalAI's comma regex.
func vqaProcessPunctuation(_ input: String, evalAIComma: Bool) -> String {
    let inputScalars = input.scalarArray
    let commaFires = hasDigitCommaDigit(inputScalars, allowCommaRuns: evalAIComma)
    var output = input
    for p in vqaPunctuation {
        if input.pyContains(p + " ") || input.pyContains(" " + p) || commaFires {
            output = output.pyReplace(p, "")
        } else {
            output = output.pyReplace(p, " ")
        }
    }
    // `(?!<=\d)(\.)(?!\d)` with re.UNICODE (= 32) passed as the count: the look-behind is a
    // typo, so this deletes the first 32 periods that are not followed by a digit.
    let scalars = output.scalarArray
    var result = String.UnicodeScalarView()
    var deleted = 0
    for (i, scalar) in scalars.enumerated() {
        if scalar == ".", deleted < 32, !(i + 1 < scalars.count && isPythonDigit(scalars[i + 1])) {
            deleted += 1
            continue
        }
        result.append(scalar)
    }
    return String(result)
}

/// `processDigitArticle` of both upstreams.
func vqaProcessDigitArticle(_ input: String) -> String {
    var words: [String] = []
    for token in input.pyLower().pySplitWhitespace() {
        let word = vqaNumberMap[token] ?? token
        if !vqaArticles.contains(word) { words.append(word) }
    }
    return words.map { vqaContractions[$0] ?? $0 }.joined(separator: " ")
}

/// MMF's `EvalAIAnswerProcessor.__call__`: used by TextVQA scoring and by the VQAv2 and VizWiz
/// upload converters.
public func evalAIProcessAnswer(_ answer: String) -> String {
    var item = answer.pyLower().pyReplace(",", "").pyReplace("?", "").pyReplace("'s", " 's").pyStrip()
    item = item.pyReplace("\n", " ").pyReplace("\t", " ").pyStrip()
    item = vqaProcessPunctuation(item, evalAIComma: true)
    return vqaProcessDigitArticle(item)
}

/// The official VQA normalisation of one answer (punctuation, then digits/articles), applied
/// by vqaEval.py only when a question's ten GT answers are not unanimous.
public func vqaOfficialNormalize(_ answer: String) -> String {
    vqaProcessDigitArticle(vqaProcessPunctuation(answer, evalAIComma: false))
}

/// vqaEval.py's first step on predictions and GT answers: tabs/newlines to spaces, strip.
func vqaStripWhitespace(_ answer: String) -> String {
    answer.pyReplace("\n", " ").pyReplace("\t", " ").pyStrip()
}
