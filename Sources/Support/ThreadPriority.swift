internal import CLinux

/// Scheduling priority of the calling thread, for pipelines where one stage must not fall behind.
package enum ThreadPriority {
    /// Lowers the calling thread's priority: raises its nice value by `steps` (at most to 19), so
    /// that the kernel runs the stages after it first. In the index pipeline the writer keeps its
    /// priority and the stages that feed it through bounded channels yield to it: they only lose
    /// the time they would have spent ahead, and no backlog is left for one core at the end.
    /// Threads started afterwards inherit it, and raising the priority again needs privilege, so
    /// call it only on threads made for the stage. A failure changes nothing but the order the
    /// kernel picks. https://man7.org/linux/man-pages/man2/setpriority.2.html
    package static func lower(by steps: Int32) {
        let nice = csystem_thread_nice()
        guard nice != -100 else { return }
        _ = csystem_set_thread_nice(min(19, nice + steps))
    }
}
