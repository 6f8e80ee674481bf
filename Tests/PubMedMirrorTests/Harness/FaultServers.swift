import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - The Python fault servers

extension LoopbackServer {
    /// `Tests/Servers/faulty_ftpd.py` (pyftpdlib, from `.venv-test`) serving `root` (the folder
    /// holding `pubmed/`) on `ftp://127.0.0.1:PORT/pubmed/`, with fault flags in `arguments`
    /// (e.g. `["--cut-at", "1000"]`; see the script's docstring).
    static func faultyFTP(root: URL, arguments: [String]) async throws -> LoopbackServer {
        let root = servedRoot(root)
        let folder = try TestPaths.temporaryDirectory("faulty-ftpd")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let logFile = folder.appendingPathComponent("commands.log")
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv-test/bin/python")
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Servers/faulty_ftpd.py")
        let process = try launch(
            name: "faulty_ftpd", executable: python.path,
            arguments: [script.path, "--root", root.path, "--log", logFile.path] + arguments, in: folder)
        let port = try await waitForPortLine(name: "faulty_ftpd", process: process, folder: folder)
        started = true
        return LoopbackServer(
            name: "faulty_ftpd", port: port, baseURL: URL(string: "ftp://127.0.0.1:\(port)/pubmed/")!,
            caFile: nil, folder: folder, process: process, logFile: logFile)
    }

    /// `Tests/Servers/fault_proxy.py` in front of a plain-HTTP `upstream` (apache), with fault
    /// flags in `arguments` (e.g. `["--status", "503", "--retry-after", "1"]`). Its base URL is
    /// the upstream's with the proxy's port; `requestLog()` is the proxy's own log.
    static func faultProxy(upstream: LoopbackServer, arguments: [String]) async throws -> LoopbackServer {
        guard upstream.baseURL.scheme == "http" else {
            throw LoopbackServerError("fault_proxy reads HTTP heads, so it needs a plain-HTTP upstream")
        }
        let folder = try TestPaths.temporaryDirectory("fault-proxy")
        var started = false
        defer { if !started { try? FileManager.default.removeItem(at: folder) } }  // a failed start leaves nothing
        let logFile = folder.appendingPathComponent("requests.log")
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Servers/fault_proxy.py")
        let process = try launch(
            name: "fault_proxy", executable: "/usr/bin/python3",
            arguments: [script.path, "--upstream", "127.0.0.1:\(upstream.port)", "--log", logFile.path]
                + arguments,
            in: folder)
        let port = try await waitForPortLine(name: "fault_proxy", process: process, folder: folder)
        var components = URLComponents(url: upstream.baseURL, resolvingAgainstBaseURL: false)!
        components.port = port
        started = true
        return LoopbackServer(
            name: "fault_proxy", port: port, baseURL: components.url!, caFile: nil, folder: folder,
            process: process, logFile: logFile, upstream: upstream)
    }
}
