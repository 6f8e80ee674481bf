import CStandardStreams
import Foundation
import PubMedMirror
import PubMedMirrorCLI
import PubMedServer

// `pubmed-mirror serve`, run in its own executable: `pubmed-mirror serve …` execs this one with the
// same arguments, and the command line is parsed here exactly as there, with the server attached.
ResultWriter.standardOutputWasClosed = cstandardstreams_closed_at_start() & 2 != 0
ServeSettings.server = { settings in
    var options = PubMedServer.Options()
    options.host = settings.host
    options.port = settings.port
    options.readers = settings.readers
    options.token = settings.token
    options.queryLimit = .milliseconds(Int64(settings.querySeconds * 1000))
    options.shutdownLimit = .milliseconds(Int64(settings.shutdownSeconds * 1000))
    options.jsonLog = settings.jsonLog
    let server = PubMedServer(mirror: Mirror(root: settings.root, database: settings.database), options: options, log: settings.log)
    try await server.run { host, port in
        if let file = settings.portFile {
            // Written whole under a temporary name, then renamed over whatever an earlier run left:
            // a reader never sees half of it.
            do {
                try FileSystem.writeAtomically(Array("\(port)\n".utf8), to: file)
            } catch {
                settings.log("warning: the port file \(file.path) cannot be written: \(error)")
            }
        }
        let shown = host.contains(":") ? "[\(host)]" : host
        settings.log("serving \(settings.database?.text ?? settings.root.path) on http://\(shown):\(port)/ (E-utilities at /entrez/eutils/\(settings.token != nil ? "; a token is required" : ""))")
    }
}
await PubMedMirrorCommand.runAndExit()
