// The merge loop shared by Hugging Face's BPE (huggingface/tokenizers, models/bpe/word.rs,
// `Word::merge_all`) and SentencePiece's (google/sentencepiece, src/bpe_model.cc, `Model::SampleEncode`).
// Both keep a priority queue of adjacent pairs and always merge the best pair, leftmost on ties;
// they differ only in what "best" means (lowest merge rank vs highest piece score), which the
// caller supplies as `priority` (lower merges first).

/// A pair that may be merged: its priority (lower first) and the id it becomes.
struct MergeRule {
    var priority: Double
    var mergedId: Int32
}

/// Min-heap entry: a candidate merge of the symbol at `left` with its current right neighbour.
private struct Candidate {
    var priority: Double
    var left: Int32
    var mergedId: Int32

    @inline(__always) func precedes(_ other: Candidate) -> Bool {
        priority < other.priority || (priority == other.priority && left < other.left)
    }
}

private struct CandidateHeap {
    var items: [Candidate] = []

    mutating func push(_ c: Candidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[i].precedes(items[parent]) { items.swapAt(i, parent); i = parent } else { break }
        }
    }

    mutating func pop() -> Candidate? {
        guard !items.isEmpty else { return nil }
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var best = i
                if l < items.count && items[l].precedes(items[best]) { best = l }
                if r < items.count && items[r].precedes(items[best]) { best = r }
                if best == i { break }
                items.swapAt(i, best)
                i = best
            }
        }
        return top
    }
}

/// Result of merging: the final symbols, each with the pair it was merged from (for
/// SentencePiece's re-segmentation of unused pieces).
struct MergedSymbols {
    /// Final symbol ids, left to right.
    var ids: [Int32]
    /// Index in the initial symbols where each final symbol starts.
    var starts: [Int32]
    /// For each final symbol, its node in `nodes`.
    var nodeOfSymbol: [Int32]
    /// Merge tree: (id, left child node, right child node); children are -1 for initial symbols.
    var nodes: [(id: Int32, left: Int32, right: Int32)]
}

/// Merges `initial` symbol ids (a negative id never merges) with `rule(left, right)`.
/// A queued candidate is still valid when the pair now at its position merges into the same id,
/// which is the check both upstream implementations make.
func mergeSymbols(_ initial: [Int32], keepTree: Bool = false, rule: (Int32, Int32) -> MergeRule?) -> MergedSymbols {
    let n = initial.count
    var ids = initial
    var next = [Int32](repeating: -1, count: n)
    var prev = [Int32](repeating: -1, count: n)
    var alive = [Bool](repeating: true, count: n)
    var node = [Int32](repeating: -1, count: keepTree ? n : 0)
    var nodes: [(id: Int32, left: Int32, right: Int32)] = []
    if keepTree {
        nodes.reserveCapacity(2 * n)
        for i in 0..<n { nodes.append((initial[i], -1, -1)); node[i] = Int32(i) }
    }
    for i in 0..<n {
        next[i] = i + 1 < n ? Int32(i + 1) : -1
        prev[i] = i > 0 ? Int32(i - 1) : -1
    }
    var heap = CandidateHeap()
    heap.items.reserveCapacity(n)
    @inline(__always) func consider(_ left: Int32) {
        guard left >= 0 else { return }
        let right = next[Int(left)]
        guard right >= 0 else { return }
        let a = ids[Int(left)], b = ids[Int(right)]
        guard a >= 0, b >= 0, let r = rule(a, b) else { return }
        heap.push(Candidate(priority: r.priority, left: left, mergedId: r.mergedId))
    }
    for i in 0..<max(0, n - 1) { consider(Int32(i)) }
    while let top = heap.pop() {
        let l = Int(top.left)
        guard alive[l] else { continue }
        let r32 = next[l]
        guard r32 >= 0 else { continue }
        let r = Int(r32)
        let a = ids[l], b = ids[r]
        guard a >= 0, b >= 0, let current = rule(a, b), current.mergedId == top.mergedId else { continue }
        ids[l] = top.mergedId
        alive[r] = false
        next[l] = next[r]
        if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
        if keepTree {
            nodes.append((top.mergedId, node[l], node[r]))
            node[l] = Int32(nodes.count - 1)
        }
        consider(prev[l])
        consider(Int32(l))
    }
    var result = MergedSymbols(ids: [], starts: [], nodeOfSymbol: [], nodes: nodes)
    result.ids.reserveCapacity(n)
    var i: Int32 = n > 0 ? 0 : -1
    while i >= 0 {
        result.ids.append(ids[Int(i)])
        result.starts.append(i)
        if keepTree { result.nodeOfSymbol.append(node[Int(i)]) }
        i = next[Int(i)]
    }
    return result
}
