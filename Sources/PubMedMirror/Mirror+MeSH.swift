import Foundation
import Logging
import PubMedFiles
import PubMedMeSH
import PubMedSupport
import PubMedTransfer

/// What `mesh` needs besides the mirror folder.
public struct MeshOptions: Sendable {
    /// NLM's folder of the current MeSH XML files (README, "MeSH thesaurus"): it holds
    /// `descYYYY.xml`, `descYYYY.gz` and `descYYYY.zip` of the current MeSH year, refreshed on weekdays.
    public static let nlmFolder = "https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh/"

    /// The gzip copy of a year's descriptor file (about 15 MB rather than 300).
    public static func nlmURL(year: Int) -> String { nlmFolder + "desc\(year).gz" }

    /// The URL of the descriptor file; nil for NLM's current one (`descriptorURLs`).
    public var source: String?
    /// The MeSH year; nil to take the current one (and the file's own word for it).
    public var year: Int?
    /// Build from this local file instead of downloading (no network).
    public var localFile: URL?
    public var transfer = TransferOptions()
    public var retry = RetryPolicy()
    /// Say what would be done (ask the server, or parse the local file) and change nothing.
    public var dryRun = false

    public init() {}

    /// The URLs to try, in order. NLM releases the next year's MeSH in November, so from November
    /// on next year's file is asked for first, and this year's if there is none yet.
    public func descriptorURLs(now: Date = Date()) -> [String] {
        if let source { return [source] }
        if let year { return [Self.nlmURL(year: year)] }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month], from: now)
        let thisYear = parts.year ?? 2026
        return (parts.month ?? 1) >= 11 ? [Self.nlmURL(year: thisYear + 1), Self.nlmURL(year: thisYear)] : [Self.nlmURL(year: thisYear)]
    }

    /// A descriptor file's URL split into the folder the transfer engine serves from and a file
    /// name that is safe as a local name (`desc2026.gz`): letters, digits, `.`, `-`, `_`.
    public static func remoteFile(_ text: String) throws(ConfigurationError) -> (folder: MirrorSource, name: String) {
        guard let url = URL(string: text), !url.hasDirectoryPath else {
            throw ConfigurationError("\(text) does not name a file, such as \(nlmURL(year: 2026))")
        }
        let name = url.lastPathComponent
        let safe = name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
        guard safe, !name.hasPrefix("."), name.count <= 100 else {
            throw ConfigurationError("\(text): the file name \(name) is not one a MeSH descriptor file has (such as desc2026.gz)")
        }
        let folder = try MirrorSource(url.deletingLastPathComponent().absoluteString)
        return (folder, name)
    }
}

/// What one `mesh` run did.
public struct MeshReport: Sendable {
    public enum Outcome: String, Sendable {
        /// The server's file is the one the thesaurus was built from: nothing was downloaded.
        case upToDate = "up-to-date"
        /// A new thesaurus is in place.
        case updated
        /// `--dry-run`: nothing was changed.
        case planned
    }

    public var outcome: Outcome
    /// The URL asked, or the local file's path.
    public var source: String
    /// The thesaurus in place after the run (for a dry run, the one already there).
    public var thesaurus: MeshThesaurusInfo?
    /// What the server said of its file: exact size and modification time.
    public var remoteSize: Int64?
    public var remoteModified: Int64?
    /// Descriptors in the file, when a dry run parsed a local one.
    public var descriptorsFound: Int?
    public var bytesReceived: Int64 = 0
    public var resumedFrom: Int64 = 0
    public var requests = 0
    public var seconds: Double = 0
}

/// Why `mesh` failed: the transfer or the mirror folder (`MirrorError`), or the descriptor file
/// and the thesaurus (`MeshError`).
public enum MeshUpdateError: CodedError {
    case mirror(MirrorError)
    case mesh(MeshError)

    public var code: ErrorCode {
        switch self {
        case .mirror(let error): error.code
        case .mesh(let error): error.code
        }
    }

    public var advice: [Advice] {
        switch self {
        case .mirror(let error): error.advice
        case .mesh(let error): error.advice
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .mirror(let error): error
        case .mesh(let error): error
        }
    }

    public var description: String {
        switch self {
        case .mirror(let error): error.description
        case .mesh(let error): error.description
        }
    }
}

extension Mirror {
    /// The MeSH thesaurus in use, or nil when none has been built (`pubmed-mirror mesh`). Throws
    /// when the file is there but damaged or of another schema.
    public func openMeSH() throws(MeshError) -> MeshThesaurus? {
        guard FileManager.default.fileExists(atPath: layout.meshThesaurus.path) else { return nil }
        return try MeshThesaurus.open(at: layout.meshThesaurus.path)
    }

    /// Brings the MeSH thesaurus up to date under the mirror's lock: asks the server for its
    /// descriptor file's size and time (one request), and when they differ from what the thesaurus
    /// was built from, downloads it (resuming a partial download), checks its exact size, parses
    /// all of it into a new thesaurus and renames that into place. With `localFile`, builds from
    /// that file instead, without the network.
    public func updateMeSH(_ options: MeshOptions, progress: ProgressBoard? = nil,
                           cancellation: CancellationFlag = CancellationFlag()) async throws(MeshUpdateError) -> MeshReport {
        let clock = ContinuousClock.now
        let mirror = self
        let result = await BlockingThreads.value(name: "mesh", cancellation: cancellation) { () -> Result<MeshReport, MeshUpdateError> in
            Result { () throws(MeshUpdateError) -> MeshReport in
                let lock: FileLock?
                do throws(MirrorError) { lock = options.dryRun ? nil : try mirror.lock(creating: true) } catch { throw .mirror(error) }
                defer { withExtendedLifetime(lock) {} }
                if let file = options.localFile { return try mirror.buildMeSH(from: file, options, cancellation: cancellation) }
                return try mirror.downloadMeSH(options, progress: progress, cancellation: cancellation)
            }
        }
        var report = try result.get()
        report.seconds = (ContinuousClock.now - clock).inSeconds
        return report
    }

    // MARK: - Private

    /// The thesaurus in place, if it can be read (a damaged one is simply replaced).
    private var currentMeSH: MeshThesaurusInfo? {
        (try? openMeSH())?.info
    }

    private func buildMeSH(from file: URL, _ options: MeshOptions, cancellation: CancellationFlag) throws(MeshUpdateError) -> MeshReport {
        var report = MeshReport(outcome: options.dryRun ? .planned : .updated, source: file.path, thesaurus: currentMeSH)
        do throws(MeshError) {
            if options.dryRun {
                report.descriptorsFound = try DescriptorFile.read(file) { (_) throws(MeshError) in
                    if cancellation.isCancelled { throw .cancelled }
                }.descriptors
                return report
            }
            let origin = MeshThesaurusBuilder.Origin(year: options.year ?? MeshYear.fromFileName(file.lastPathComponent))
            report.thesaurus = try MeshThesaurusBuilder.build(from: file, to: layout.meshThesaurus, origin: origin, cancellation: cancellation)
        } catch { throw .mesh(error) }
        logger.info("MeSH thesaurus built from \(file.path)", metadata: ["mesh.year": "\(report.thesaurus?.year ?? 0)"])
        return report
    }

    private func downloadMeSH(_ options: MeshOptions, progress: ProgressBoard?, cancellation: CancellationFlag) throws(MeshUpdateError) -> MeshReport {
        let (url, name, remote, session) = try probeMeSH(options, cancellation: cancellation)
        var report = MeshReport(outcome: .planned, source: url.absoluteString, thesaurus: currentMeSH,
                                remoteSize: remote.size, remoteModified: remote.modified)
        try downloadMeSH(url, name: name, remote: remote, into: &report, options, session: session, progress: progress,
                         cancellation: cancellation)
        report.requests = session.requestCount
        return report
    }

    /// Downloads and builds unless the thesaurus was built from this very file (same URL, size
    /// and server time), recording what it did in `report`.
    private func downloadMeSH(_ url: URL, name: String, remote: RemoteFileInfo, into report: inout MeshReport, _ options: MeshOptions,
                              session: TransferSession, progress: ProgressBoard?, cancellation: CancellationFlag) throws(MeshUpdateError) {
        let partial = layout.meshFile(name + ".partial")
        if let current = report.thesaurus, current.sourceURL == url.absoluteString, let modified = remote.modified,
           current.remoteModified == modified, current.size == remote.size {
            report.outcome = .upToDate
            if !options.dryRun {
                FileSystem.remove(partial)
                FileSystem.remove(Self.sourceOf(partial))
            }
            return
        }
        if options.dryRun { return }
        guard let size = remote.size else {
            throw .mirror(.transfer(TransferError(kind: .transient, scope: .file, url: url.absoluteString,
                                                  summary: "the server did not tell the file's size")))
        }
        do throws(FileSystemError) { try FileSystem.createDirectory(layout.meshFolder) } catch { throw .mirror(.local(error)) }
        try startOrResume(partial, of: url, remote: remote)
        let downloaded = try downloadDescriptorFile(url, to: partial, size: size, session: session, retry: options.retry,
                                                    progress: progress, cancellation: cancellation)
        report.bytesReceived = downloaded.received
        report.resumedFrom = downloaded.resumedFrom
        // The file is used only once all of it has parsed; one that does not is deleted, so that
        // the next run downloads it afresh rather than resuming a file that cannot be used.
        let origin = MeshThesaurusBuilder.Origin(fileName: name, year: options.year ?? MeshYear.fromFileName(name), sourceURL: url.absoluteString,
                                                 remoteModified: downloaded.remoteModified ?? remote.modified)
        do throws(MeshError) {
            report.thesaurus = try MeshThesaurusBuilder.build(from: partial, to: layout.meshThesaurus, origin: origin, cancellation: cancellation)
        } catch {
            switch error {
            case .malformed, .unreadable: FileSystem.remove(partial)
            default: break
            }
            throw .mesh(error)
        }
        try keepDescriptorFile(partial, as: name)
        report.outcome = .updated
        logger.info("MeSH thesaurus built from \(url.absoluteString)",
                    metadata: ["mesh.year": "\(report.thesaurus?.year ?? 0)", "file.md5": "\(downloaded.md5)"])
    }

    /// What a partial download is of: the URL, size and server time it was begun for, beside it
    /// (`NAME.partial.source`). NLM refreshes its files on weekdays and publishes no checksum, so
    /// bytes of another version would be joined to the new ones undetected (an `.xml` has no CRC):
    /// a partial is resumed only when the server's file is the one it was begun from, and never
    /// when the server gives no time.
    private func startOrResume(_ partial: URL, of url: URL, remote: RemoteFileInfo) throws(MeshUpdateError) {
        let source = Self.sourceOf(partial)
        let identity = remote.modified.map { "\(url.absoluteString) \(remote.size ?? -1) \($0)\n" }
        let begun = FileSystem.contents(source).map { String(decoding: $0, as: UTF8.self) }
        if identity == nil || begun != identity {
            FileSystem.remove(partial)
            FileSystem.remove(source)
        }
        guard let identity, begun != identity else { return }
        do throws(FileSystemError) { try FileSystem.writeAtomically(Array(identity.utf8), to: source) } catch { throw .mirror(.local(error)) }
    }

    /// `NAME.partial.source`, beside the partial download it describes.
    private static func sourceOf(_ partial: URL) -> URL {
        partial.deletingLastPathComponent().appendingPathComponent(partial.lastPathComponent + ".source")
    }

    /// The first of the candidate URLs the server has, with its size and time, and the session
    /// (one connection) that asked.
    private func probeMeSH(_ options: MeshOptions, cancellation: CancellationFlag) throws(MeshUpdateError) -> (URL, String, RemoteFileInfo, TransferSession) {
        let candidates = options.descriptorURLs()
        var session: TransferSession?
        for (index, text) in candidates.enumerated() {
            let (folder, name): (MirrorSource, String)
            do throws(ConfigurationError) { (folder, name) = try MeshOptions.remoteFile(text) } catch {
                throw .mirror(.transfer(TransferError(kind: .permanent, scope: .run, code: .configuration, url: text, summary: error.message)))
            }
            let url = folder.url.appendingPathComponent(name, isDirectory: false)
            do throws(MirrorError) {
                if session == nil || session?.source != folder {
                    do throws(TransferError) {
                        session = try TransferSession(source: folder, options: options.transfer, cancellation: cancellation)
                    } catch { throw .transfer(error) }
                }
                // Set just above.
                let asking = session!
                let info = try FileMirror.retrying(options.retry, cancellation: cancellation, logger: logger, what: url.absoluteString) { () throws(MirrorError) in
                    do throws(TransferError) { return try asking.probe(url) } catch { throw .transfer(error) }
                }
                return (url, name, info, asking)
            } catch {
                // Not published (yet): next year's file before NLM's November release.
                if case .transfer(let failure) = error, failure.kind == .permanent, failure.scope == .file, index + 1 < candidates.count {
                    logger.info("\(url.absoluteString) is not there; trying \(candidates[index + 1])")
                    continue
                }
                throw .mirror(error)
            }
        }
        preconditionFailure("descriptorURLs() always gives at least one URL")
    }

    /// Downloads into `partial`, resuming what an earlier run left, retried like a fetch, and
    /// checks that exactly `size` bytes arrived. NLM publishes no checksum beside the descriptor
    /// files: the size, and the complete parse that follows, are the checks.
    private func downloadDescriptorFile(_ url: URL, to partial: URL, size: Int64, session: TransferSession, retry: RetryPolicy,
                                        progress: ProgressBoard?, cancellation: CancellationFlag) throws(MeshUpdateError) -> DownloadResult {
        let name = partial.lastPathComponent
        progress?.plan(files: 1, bytes: size, phase: "downloaded")
        progress?.begin(name, total: size, resumedFrom: FileSystem.size(of: partial).map { min($0, size) } ?? 0)
        do throws(MirrorError) {
            let result = try FileMirror.retrying(retry, cancellation: cancellation, logger: logger, what: url.absoluteString) { () throws(MirrorError) in
                let result: DownloadResult
                do throws(DownloadError) {
                    result = try session.download(url, to: partial, expectedSize: size) { done in progress?.update(name, done: done) }
                } catch {
                    if case .tooLong = error { FileSystem.remove(partial) }
                    throw MirrorError(error)
                }
                guard result.length == size else {
                    FileSystem.remove(partial)
                    throw .sizeMismatch(file: name, expected: size, actual: result.length)
                }
                return result
            }
            progress?.end(name, bytes: result.length, received: result.received, failed: false)
            return result
        } catch {
            progress?.abandon(name)
            progress?.end(name, bytes: 0, received: 0, failed: !error.isCancellation)
            throw .mirror(error)
        }
    }

    /// Keeps the descriptor file the thesaurus was built from under its own name, and removes
    /// older ones (last year's file), so that the folder holds one.
    private func keepDescriptorFile(_ partial: URL, as name: String) throws(MeshUpdateError) {
        do throws(FileSystemError) { try FileSystem.rename(partial, to: layout.meshFile(name)) } catch { throw .mirror(.local(error)) }
        FileSystem.remove(Self.sourceOf(partial))
        let others = (try? FileManager.default.contentsOfDirectory(atPath: layout.meshFolder.path)) ?? []
        for other in others where other != name && other.hasPrefix("desc") && !other.hasSuffix(".partial") && !other.hasSuffix(".partial.source") {
            FileSystem.remove(layout.meshFile(other))
        }
    }
}
