import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Number of worker threads used by `parallelFor`: the machine's active cores, or the
/// `VLM_NUM_THREADS` environment variable when set.
public let workerCount: Int = {
    if let text = getenv("VLM_NUM_THREADS"), let n = Int(String(cString: text)), n > 0 { return n }
    return max(1, ProcessInfoCores.active)
}()

enum ProcessInfoCores {
    static var active: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

/// Run `body(range)` over `0..<count` split into contiguous chunks, one per worker, and wait.
/// Chunks never overlap, so bodies may write disjoint parts of a shared buffer. Work smaller
/// than `minimumChunk` items per worker runs inline on the caller's thread.
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let chunks = min(workerCount, max(1, count / max(1, minimumChunk)))
    if chunks == 1 { body(0..<count); return }
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = count * chunk / chunks
            let end = count * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }
}
