import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a short command to its end and waits for it with waitpid: not Foundation's Process, whose
/// wait sees the exit only once every process holding its monitoring socket has gone, and a server
/// the command starts (a postmaster from `pg_ctl start`, sshd's sessions) may hold one for its life.
/// Its output goes to a file, read back for the error when it fails.
enum Spawn {
    @discardableResult
    static func run(_ arguments: [String]) throws -> String {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("spawn-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        defer { try? FileManager.default.removeItem(at: log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = (["/usr/bin/env"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ) == 0 else {
            throw LoopbackServerError("\(arguments.joined(separator: " ")) could not be started")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw LoopbackServerError("\(arguments.joined(separator: " ")): waitpid failed") }
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw LoopbackServerError("\(arguments.joined(separator: " ")) failed (status \(status)): \(output)")
        }
        return output
    }
}
