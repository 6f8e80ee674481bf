internal import CSystem

/// Scheduling priority of the thread that calls, for pipelines where one stage must not fall behind.
enum ThreadPriority {
    /// Raises the calling thread's nice value by `steps`, for a pipeline stage that should let the
    /// stages after it run first (the index writer, then the preparer: the stages that feed them
    /// through bounded queues only lose the time they would have spent ahead, and no backlog is
    /// left for one core at the end; measured on pubmed20n0014, full index median 2.14 -> 2.06 s).
    /// Threads it starts afterwards inherit it. Raising needs no privilege (lowering back would),
    /// so call it only on threads made for the stage. A failure changes nothing but the order the
    /// kernel picks.
    static func yieldToTheWriter(by steps: Int32 = 5) {
        let nice = csystem_thread_nice()
        guard nice != -100 else { return }
        _ = csystem_set_thread_nice(min(19, nice + steps))
    }
}

