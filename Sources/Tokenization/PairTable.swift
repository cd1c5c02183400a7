// Open-addressing hash map from a packed (left id, right id) pair to its merge rule: the BPE loop
// looks a pair up for every candidate, and Swift's Dictionary (SipHash) dominated encode time.

struct PairTable: Sendable {
    private var keys: [UInt64]
    private var priorities: [Double]
    private var merged: [Int32]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: PairTable.empty, count: size)
        priorities = [Double](repeating: 0, count: size)
        merged = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always) private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Inserts or replaces (a later merge for the same pair wins, as in a Rust HashMap collect).
    mutating func set(_ a: Int32, _ b: Int32, _ rule: MergeRule) {
        let key = BPEModel.key(a, b)
        var i = slot(key)
        while keys[i] != PairTable.empty && keys[i] != key { i = (i + 1) & mask }
        keys[i] = key
        priorities[i] = rule.priority
        merged[i] = rule.mergedId
    }

    @inline(__always) func get(_ a: Int32, _ b: Int32) -> MergeRule? {
        let key = BPEModel.key(a, b)
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return MergeRule(priority: priorities[i], mergedId: merged[i]) }
            if k == PairTable.empty { return nil }
            i = (i + 1) & mask
        }
    }
}
