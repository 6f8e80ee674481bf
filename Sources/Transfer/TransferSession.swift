internal import CCurl
import Foundation
import PubMedListing
import PubMedSupport

/// What a finished download produced.
package struct DownloadResult: Sendable {
    /// Bytes in the `.partial` file (all of them, not only those sent this time).
    package var length: Int64
    /// Lower-case hex MD5 of the whole file.
    package var md5: String
    /// MDTM / Last-Modified, seconds since 1970 (UTC), when the server told.
    package var remoteModified: Int64?
    /// Bytes that were already there from an earlier run and were not sent again.
    package var resumedFrom: Int64
    /// Bytes that crossed the network this time.
    package var received: Int64
}

/// Size and time of one remote file, from FTP SIZE/MDTM or an HTTP HEAD.
package struct RemoteFileInfo: Sendable {
    package var size: Int64?
    package var modified: Int64?
}

/// The requests one worker makes, in turn, over one reused libcurl handle (and so, one reused
/// connection). Owned by one thread; not `Sendable`.
package final class TransferSession {
    package let source: MirrorSource
    package let options: TransferOptions
    private let cancellation: CancellationFlag
    /// This session's handle; one request at a time, on the session's thread.
    let easy: CurlEasy
    /// CA bundle with the user's `--ca-file` added to the system's, built once per session.
    private let caBundle: [UInt8]?
    /// SFTP: the known-hosts file host keys are checked against (nil when not checking).
    private let knownHosts: String?
    /// Set once an FTP server has refused MLSD, so the session asks for LIST straight away.
    private var mlsdRefused = false
    /// Set once an FTP server has refused the HASH command (`remoteMD5`), which is then not asked again.
    var hashRefused = false
    /// Requests sent, for the summary and the benchmarks.
    package internal(set) var requestCount = 0

    package init(source: MirrorSource, options: TransferOptions, cancellation: CancellationFlag) throws(TransferError) {
        self.source = source
        self.options = options
        self.cancellation = cancellation
        self.easy = try CurlEasy()
        self.caBundle = try Self.loadCABundle(options.caFile, easy: easy)
        self.knownHosts = try Self.knownHostsFile(options, source: source)
    }

    // MARK: Requests

    /// Lists one folder of the source.
    package func list(_ folder: MirrorFolder) throws(TransferError) -> [ListingEntry] {
        let url = source.folderURL(folder)
        switch source.scheme {
        case .file:
            return try listLocalFolder(url)
        case .http, .https:
            let page = try fetchSmall(url, limit: 64 << 20)
            return HTMLIndexParser.parse(page)
        case .sftp:
            // libcurl lists an SFTP folder as `ls -l` would.
            return FTPListingParser.parseList(try fetchListing(url, command: nil), now: Date())
        case .ftp, .ftps:
            if !mlsdRefused {
                do throws(TransferError) {
                    let text = try fetchListing(url, command: "MLSD")
                    return FTPListingParser.parseMLSD(text)
                } catch where error.kind == .permanent && (500...504).contains(error.responseCode ?? 0) {
                    mlsdRefused = true
                }
            }
            return FTPListingParser.parseList(try fetchListing(url, command: nil), now: Date())
        }
    }

    /// Fetches a small body (an index page or a `.md5` file) into memory.
    package func fetchSmall(_ url: URL, limit: Int) throws(TransferError) -> [UInt8] {
        let sink = MemorySink(limit: limit)
        try perform(url, sink: sink)
        return sink.bytes
    }

    /// Exact size and modification time of one file without fetching it.
    package func probe(_ url: URL) throws(TransferError) -> RemoteFileInfo {
        // Nothing of the file is fetched, but over FTP libcurl hands the request's pseudo-headers
        // ("Last-Modified: …", "Content-Length: …") to the write callback: taken and ignored.
        let sink = MemorySink(limit: 4096)
        try perform(url, sink: sink, configure: { easy in [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true))] })
        let size = easy.infoOffset(CURLINFO_CONTENT_LENGTH_DOWNLOAD_T)
        let time = easy.infoOffset(CURLINFO_FILETIME_T)
        return RemoteFileInfo(size: size >= 0 ? size : nil, modified: time >= 0 ? time : nil)
    }

    /// Downloads `url` into `partial`, resuming what an earlier run left there, hashing as the bytes
    /// arrive and refusing any byte beyond `expectedSize`. Does not check the result: the caller
    /// compares length and MD5 with what was published.
    package func download(_ url: URL, to partial: URL, expectedSize: Int64,
                  progress: @escaping (Int64) -> Void) throws(DownloadError) -> DownloadResult {
        let (descriptor, existing) = try Self.openPartial(partial, expectedSize: expectedSize)
        defer { close(descriptor) }
        // The hasher starts on the bytes already there while the rest arrives.
        let sink: FileSink
        do throws(FileSystemError) {
            sink = try FileSink(descriptor: descriptor, path: partial.path, length: existing, limit: expectedSize)
        } catch { throw .local(error) }
        func finish(resumedFrom: Int64, requested: Bool = true) throws(DownloadError) -> DownloadResult {
            try finishDownload(sink, descriptor: descriptor, path: partial.path, resumedFrom: resumedFrom, requested: requested)
        }
        if existing == expectedSize {
            // Complete already (killed between the last byte and the rename): nothing to send, and
            // no server time to tell (the handle's is the request before's, another file's).
            return try finish(resumedFrom: existing, requested: false)
        }
        var offset = existing
        for _ in 0..<2 {
            let failure: TransferError?
            do throws(TransferError) {
                try perform(url, sink: sink, progress: { progress(offset + $0) }, configure: { easy in
                    offset > 0 ? [("CURLOPT_RESUME_FROM_LARGE", easy.set(CURLOPT_RESUME_FROM_LARGE, offset: offset))] : []
                })
                failure = nil
            } catch { failure = error }
            guard let failure else {
                // libcurl finished, but short, and over HTTP without a length: a body whose end is
                // the connection's (HTTP/1.0, or `Connection: close`) reads as whole when the
                // connection is cut (RFC 9112, 6.3). A cut transfer, then: the partial is kept for
                // the retry to resume. (With a length, or FTP's 226, short is the file's own size,
                // which the caller refuses.)
                let lengthless = source.isHTTP && easy.infoOffset(CURLINFO_CONTENT_LENGTH_DOWNLOAD_T) < 0
                guard !lengthless || sink.length >= expectedSize else {
                    sink.abandon()
                    throw .transfer(TransferError(kind: .transient, scope: .file, code: .transferFailed, url: Self.redacted(url),
                                                  summary: "the connection ended after \(sink.length) of the file's \(expectedSize) bytes",
                                                  curlCode: Int(CURLE_PARTIAL_FILE.rawValue)))
                }
                return try finish(resumedFrom: offset)
            }
            switch try afterFailure(failure, sink: sink, offset: offset, partial: partial, expectedSize: expectedSize) {
            case .complete: return try finish(resumedFrom: offset)
            case .startOver: offset = 0
            }
        }
        sink.abandon()
        throw .transfer(TransferError(kind: .transient, scope: .file, code: .transferRefused, url: Self.redacted(url),
                                      summary: "the server refused to resume and then to start over"))
    }

    /// Opens (or creates) `NAME.partial` and keeps what an earlier run left there, if it can be the
    /// start of this file; returns the descriptor, positioned at the end, and how much is there.
    private static func openPartial(_ partial: URL, expectedSize: Int64) throws(DownloadError) -> (Int32, Int64) {
        let descriptor = open(partial.path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .local(FileSystemError(path: partial.path, operation: "open", errno: errno)) }
        var existing = Int64(lseek(descriptor, 0, SEEK_END))
        if existing > expectedSize { existing = 0 }
        guard ftruncate(descriptor, off_t(existing)) == 0, lseek(descriptor, off_t(existing), SEEK_SET) == existing else {
            let error = FileSystemError(path: partial.path, operation: "truncate", errno: errno)
            close(descriptor)
            throw .local(error)
        }
        return (descriptor, existing)
    }

    /// What to do after a failed attempt: the file is complete after all (HTTP 416 for a full
    /// partial), start it over (the server cannot resume), or give up with the error.
    private enum Recovery { case complete, startOver }

    private func afterFailure(_ error: TransferError, sink: FileSink, offset: Int64, partial: URL,
                              expectedSize: Int64) throws(DownloadError) -> Recovery {
        let resumable = offset > 0 && cannotResume(error)
        if !resumable { sink.abandon() }
        if sink.overflowed { throw .tooLong(file: partial.lastPathComponent, listedSize: expectedSize) }
        if sink.writeErrno != 0 { throw .local(FileSystemError(path: partial.path, operation: "write", errno: sink.writeErrno)) }
        guard resumable else { throw .transfer(error) }
        if error.responseCode == 416 && sink.length == expectedSize { return .complete }
        // The server will not send the rest: start this file over, once.
        do throws(FileSystemError) { try sink.restart() } catch { throw .local(error) }
        return .startOver
    }

    /// The download's result once every byte is in: the MD5 (the hasher caught up), the file
    /// flushed to the disk before the caller renames it into place, the server's time.
    private func finishDownload(_ sink: FileSink, descriptor: Int32, path: String, resumedFrom: Int64,
                                requested: Bool) throws(DownloadError) -> DownloadResult {
        let digest: String
        do throws(FileSystemError) {
            digest = try sink.digest()
            try FileSystem.sync(descriptor: descriptor, path: path)
        } catch { throw .local(error) }
        let time = requested ? easy.infoOffset(CURLINFO_FILETIME_T) : -1
        return DownloadResult(length: sink.length, md5: digest, remoteModified: time >= 0 ? time : nil,
                              resumedFrom: resumedFrom, received: sink.length - resumedFrom)
    }

    /// The server cannot send the rest of a file: HTTP without ranges, FTP without REST, HTTP 416.
    private func cannotResume(_ error: TransferError) -> Bool {
        error.curlCode == Int(CURLE_RANGE_ERROR.rawValue)
            || error.curlCode == Int(CURLE_FTP_COULDNT_USE_REST.rawValue)
            || error.curlCode == Int(CURLE_BAD_DOWNLOAD_RESUME.rawValue)
            || error.responseCode == 416
    }

    // MARK: The one place libcurl requests are configured and run

    /// Runs one request. With `upload`, the body is read from it (STOR or APPE, an SFTP write) and
    /// progress and stalls count the bytes sent; `commands` are FTP or SFTP commands run after the
    /// request (CURLOPT_POSTQUOTE), such as a rename, and `before` ones run before it (CURLOPT_QUOTE).
    /// `writes`: the request makes folders, so its refusals read as a write's.
    func perform(_ url: URL, sink: ResponseSink, upload: UploadSource? = nil, commands: [String] = [], before: [String] = [],
                 writes: Bool = false, progress: ((Int64) -> Void)? = nil,
                 configure: (CurlEasy) -> [(String, CURLcode)] = { _ in [] }) throws(TransferError) {
        requestCount += 1
        try check("CURLOPT_ERRORBUFFER", easy.reset())
        try applyCommonOptions(url)
        for (name, code) in configure(easy) { try check(name, code) }
        let commandList = CommandList(commands), beforeList = CommandList(before)
        defer {
            commandList.free()
            beforeList.free()
        }
        guard commandList.complete && beforeList.complete else {
            throw TransferError(kind: .permanent, scope: .run, code: .transferLibcurl, url: "", summary: "libcurl could not make a list of commands (out of memory?)")
        }
        if let list = commandList.list { try check("CURLOPT_POSTQUOTE", easy.set(CURLOPT_POSTQUOTE, list: list)) }
        if let list = beforeList.list { try check("CURLOPT_QUOTE", easy.set(CURLOPT_QUOTE, list: list)) }
        if let upload {
            try check("CURLOPT_UPLOAD", easy.set(CURLOPT_UPLOAD, true))
            try check("CURLOPT_INFILESIZE_LARGE", easy.set(CURLOPT_INFILESIZE_LARGE, offset: upload.length))
            try check("CURLOPT_READFUNCTION", easy.set(CURLOPT_READFUNCTION, callback: { buffer, size, count, userdata in
                // userdata is the source, kept alive by `perform`'s frame for the whole transfer.
                let source = Unmanaged<UploadSource>.fromOpaque(userdata!).takeUnretainedValue()
                return source.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
            }))
            try check("CURLOPT_READDATA", easy.set(CURLOPT_READDATA, pointer: Unmanaged.passUnretained(upload).toOpaque()))
        }

        let sinkPointer = Unmanaged.passUnretained(sink).toOpaque()
        try check("CURLOPT_WRITEFUNCTION", easy.set(CURLOPT_WRITEFUNCTION, callback: { buffer, size, count, userdata in
            // userdata is the sink, kept alive by `perform`'s frame for the whole transfer.
            let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
            let length = size * count
            return sink.receive(UnsafeRawBufferPointer(start: buffer, count: length)) ? length : 0
        }))
        try check("CURLOPT_WRITEDATA", easy.set(CURLOPT_WRITEDATA, pointer: sinkPointer))

        let monitor = TransferMonitor(cancellation: cancellation, stallTimeout: options.stallTimeout, progress: progress,
                                      countsSent: upload != nil)
        try check("CURLOPT_NOPROGRESS", easy.set(CURLOPT_NOPROGRESS, false))
        try check("CURLOPT_XFERINFOFUNCTION", easy.setProgress(callback: { userdata, _, received, _, sent in
            // userdata is the monitor, kept alive by `perform`'s frame (withExtendedLifetime below)
            // for the whole transfer, like the sink.
            let monitor = Unmanaged<TransferMonitor>.fromOpaque(userdata!).takeUnretainedValue()
            return monitor.shouldAbort(received: Int64(monitor.countsSent ? sent : received)) ? 1 : 0
        }))
        try check("CURLOPT_XFERINFODATA", easy.set(CURLOPT_XFERINFODATA, pointer: Unmanaged.passUnretained(monitor).toOpaque()))

        let code = withExtendedLifetime((sink, monitor, upload)) { easy.perform() }
        if code == CURLE_OK {
            // libcurl fails only statuses of 400 and up (FAILONERROR): a 3xx it could not follow (no
            // Location) or a 416 without Content-Range ends "OK", with an error page or nothing
            // for a body. Over HTTP only a 2xx is a success.
            let status = easy.infoInt(CURLINFO_RESPONSE_CODE)
            guard source.isHTTP, !(200...299).contains(status) else { return }
            throw TransferError.classify(failure(CURLE_HTTP_RETURNED_ERROR, url: url, monitor: monitor, sink: sink))
        }
        throw TransferError.classify(failure(code, url: url, monitor: monitor, sink: sink, isUpload: upload != nil || writes || !commands.isEmpty || !before.isEmpty,
                                                             isCommand: upload == nil && !writes && !(commands.isEmpty && before.isEmpty)))
    }

    /// The options of every request: where, which protocols (and redirects) are allowed, TLS
    /// trust, timeouts, credentials. Each is checked (but the buffer size, a hint): a libcurl that
    /// refuses one fails the run rather than, say, silently allowing every protocol.
    private func applyCommonOptions(_ url: URL) throws(TransferError) {
        var curlURL = url.absoluteString
        if source.scheme == .ftps {
            // ftps:// in libcurl means implicit TLS; the mirror speaks explicit TLS (AUTH TLS) on the
            // FTP port, so the request goes to ftp:// with TLS required for both connections.
            curlURL = "ftp://" + curlURL.dropFirst("ftps://".count)
            try check("CURLOPT_USE_SSL", easy.set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue)))
        }
        try check("CURLOPT_URL", easy.set(CURLOPT_URL, curlURL))
        try check("CURLOPT_PROTOCOLS_STR", easy.set(CURLOPT_PROTOCOLS_STR, "ftp,ftps,http,https,sftp,file"))
        try check("CURLOPT_REDIR_PROTOCOLS_STR", easy.set(CURLOPT_REDIR_PROTOCOLS_STR, source.scheme == .https ? "https" : "http,https"))
        try check("CURLOPT_NOSIGNAL", easy.set(CURLOPT_NOSIGNAL, true))
        try check("CURLOPT_FOLLOWLOCATION", easy.set(CURLOPT_FOLLOWLOCATION, true))
        try check("CURLOPT_MAXREDIRS", easy.set(CURLOPT_MAXREDIRS, 5))
        try check("CURLOPT_FAILONERROR", easy.set(CURLOPT_FAILONERROR, true))
        try check("CURLOPT_FILETIME", easy.set(CURLOPT_FILETIME, true))
        try check("CURLOPT_USERAGENT", easy.set(CURLOPT_USERAGENT, options.userAgent))
        // A hint, not checked: libcurl 7.88 refuses it (CURLE_BAD_FUNCTION_ARGUMENT) on a handle whose
        // last transfer failed and left its receive buffer allocated; that buffer is then reused.
        _ = easy.set(CURLOPT_BUFFERSIZE, 256 * 1024)
        try check("CURLOPT_TCP_KEEPALIVE", easy.set(CURLOPT_TCP_KEEPALIVE, true))
        try check("CURLOPT_CONNECTTIMEOUT_MS", easy.set(CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000)))
        try check("CURLOPT_SERVER_RESPONSE_TIMEOUT", easy.set(CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, Int(options.stallTimeout.rounded(.up)))))
        try check("CURLOPT_FTP_FILEMETHOD", easy.set(CURLOPT_FTP_FILEMETHOD, Int(CURLFTPMETHOD_SINGLECWD.rawValue)))
        if options.insecure {
            try check("CURLOPT_SSL_VERIFYPEER", easy.set(CURLOPT_SSL_VERIFYPEER, false))
            try check("CURLOPT_SSL_VERIFYHOST", easy.set(CURLOPT_SSL_VERIFYHOST, 0))
        } else if let caBundle {
            try check("CURLOPT_CAINFO_BLOB", easy.set(CURLOPT_CAINFO_BLOB, blob: caBundle))
        }
        if source.isSFTP {
            try applySSHOptions()
        } else if let credentials = options.credentials {
            try check("CURLOPT_USERNAME", easy.set(CURLOPT_USERNAME, credentials.user))
            try check("CURLOPT_PASSWORD", easy.set(CURLOPT_PASSWORD, credentials.password))
        }
    }

    /// SFTP: the user (this machine's own by default), a key file or a password, and the server's
    /// host key checked against the known-hosts file unless `insecure`.
    private func applySSHOptions() throws(TransferError) {
        try check("CURLOPT_USERNAME", easy.set(CURLOPT_USERNAME, options.credentials?.user ?? TransferOptions.localUserName))
        if let key = options.sshKeyFile {
            try check("CURLOPT_SSH_AUTH_TYPES", easy.set(CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_PUBLICKEY)))
            try check("CURLOPT_SSH_PRIVATE_KEYFILE", easy.set(CURLOPT_SSH_PRIVATE_KEYFILE, key))
            if let passphrase = options.credentials?.password, !passphrase.isEmpty {
                try check("CURLOPT_KEYPASSWD", easy.set(CURLOPT_KEYPASSWD, passphrase))
            }
        } else {
            try check("CURLOPT_SSH_AUTH_TYPES", easy.set(CURLOPT_SSH_AUTH_TYPES, Int(CURLSSH_AUTH_PASSWORD | CURLSSH_AUTH_KEYBOARD)))
            try check("CURLOPT_PASSWORD", easy.set(CURLOPT_PASSWORD, options.credentials?.password ?? ""))
        }
        if !options.insecure, let knownHosts {
            // Without a key callback libcurl accepts only a host key that matches the file's.
            try check("CURLOPT_SSH_KNOWNHOSTS", easy.set(CURLOPT_SSH_KNOWNHOSTS, knownHosts))
        }
    }


    /// The known-hosts file an SFTP session checks host keys against: `--known-hosts`, else
    /// `~/.ssh/known_hosts`; a missing one is refused before any request (nil when not checking).
    private static func knownHostsFile(_ options: TransferOptions, source: MirrorSource) throws(TransferError) -> String? {
        guard source.isSFTP, !options.insecure else { return nil }
        let path = options.knownHostsFile ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".ssh/known_hosts").path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw TransferError(kind: .permanent, scope: .run, code: .transferHostKeyUnverified, url: source.description,
                                summary: "the server's SSH host key cannot be checked: \(path) cannot be read",
                                advice: [.addKnownHost])
        }
        return path
    }

    /// A refused option: libcurl cannot do what the request needs, so no request is made.
    private func check(_ option: String, _ code: CURLcode) throws(TransferError) {
        guard code != CURLE_OK else { return }
        throw TransferError(kind: .permanent, scope: .run, code: .transferLibcurl, url: "",
                            summary: "libcurl \(CurlEasy.version ?? "") refused \(option) (\(String(cString: ccurl_easy_strerror(code))))",
                            advice: [.installLibcurl])
    }

    // MARK: Helpers

    private func fetchListing(_ url: URL, command: String?) throws(TransferError) -> String {
        let sink = MemorySink(limit: 64 << 20)
        try perform(url, sink: sink, configure: { easy in
            command.map { [("CURLOPT_CUSTOMREQUEST", easy.set(CURLOPT_CUSTOMREQUEST, $0))] } ?? []
        })
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    private func listLocalFolder(_ url: URL) throws(TransferError) -> [ListingEntry] {
        requestCount += 1
        let manager = FileManager.default
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: url.path)
        } catch {
            throw TransferError(kind: .permanent, scope: .run, code: .transferNotFound, url: url.absoluteString,
                                summary: "the folder cannot be read (\((error as NSError).localizedDescription))",
                                advice: [.checkSourceFolder])
        }
        return names.sorted().compactMap { name in
            var info = stat()
            guard lstat(url.appendingPathComponent(name).path, &info) == 0 else { return nil }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            return ListingEntry(name: name, size: .exact(Int64(info.st_size)),
                                modified: RemoteTimestamp(seconds: Int64(info.st_mtim.tv_sec), precision: .second),
                                isDirectory: isDirectory)
        }
    }

    private static func loadCABundle(_ caFile: String?, easy: CurlEasy) throws(TransferError) -> [UInt8]? {
        guard let caFile else { return nil }
        guard let extra = FileManager.default.contents(atPath: caFile) else {
            throw TransferError(kind: .permanent, scope: .run, code: .fileSystem, url: "",
                                summary: "the certificate authorities in \(caFile) cannot be read")
        }
        // Add to, not replace, the certificates the system trusts.
        var bundle: [UInt8] = []
        if let system = easy.infoString(CURLINFO_CAINFO), let bytes = FileManager.default.contents(atPath: system) {
            bundle.append(contentsOf: bytes)
            bundle.append(UInt8(ascii: "\n"))
        }
        bundle.append(contentsOf: extra)
        return bundle
    }

    /// The URL as it may be shown: never with a user or password in it.
    static func redacted(_ url: URL) -> String {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url.absoluteString }
        components.user = nil
        components.password = nil
        return components.string ?? url.absoluteString
    }
}

/// libcurl's progress callback's state for one request: cancellation and stall detection.
final class TransferMonitor {
    let cancellation: CancellationFlag
    let stallTimeout: Double
    let progress: ((Int64) -> Void)?
    /// An upload: progress and stalls count the bytes sent, not received.
    let countsSent: Bool
    private var lastReceived: Int64 = -1
    private var lastChange = ContinuousClock.now
    private(set) var stalled = false
    private var lastReport = ContinuousClock.now

    init(cancellation: CancellationFlag, stallTimeout: Double, progress: ((Int64) -> Void)?, countsSent: Bool = false) {
        self.cancellation = cancellation
        self.countsSent = countsSent
        self.stallTimeout = stallTimeout
        self.progress = progress
    }

    func shouldAbort(received: Int64) -> Bool {
        if cancellation.isCancelled { return true }
        let now = ContinuousClock.now
        if received != lastReceived {
            lastReceived = received
            lastChange = now
            if let progress, now - lastReport > .milliseconds(100) {
                lastReport = now
                progress(received)
            }
            return false
        }
        if now - lastChange > .milliseconds(Int64(stallTimeout * 1000)) {
            stalled = true
            return true
        }
        return false
    }
}
