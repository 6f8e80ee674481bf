internal import CCurl
import Foundation
import PubMedListing
import PubMedSupport

/// What an upload sent.
package struct UploadResult: Sendable {
    /// Bytes that crossed the network (or were written, for `file://`).
    package var sent: Int64
    /// The MD5 of the local file's bytes, all of them: those before the offset read to hash them,
    /// the rest as they were sent.
    package var md5: String
}

/// Why an upload failed: the request, or reading the local file.
public enum UploadError: CodedError {
    case transfer(TransferError)
    case local(FileSystemError)

    public var code: ErrorCode {
        switch self {
        case .transfer(let error): error.code
        case .local(let error): error.code
        }
    }

    public var advice: [Advice] {
        switch self {
        case .transfer(let error): error.advice
        case .local(let error): error.advice
        }
    }

    public var cause: (any Error)? {
        switch self {
        case .transfer(let error): error
        case .local(let error): error
        }
    }

    public var description: String {
        switch self {
        case .transfer(let error): error.description
        case .local(let error): error.description
        }
    }
}

/// The requests that write to a server in NCBI's layout (`publish`): sizes, uploads that resume,
/// renames and deletions, over FTP (STOR, APPE, SIZE, RNFR/RNTO, DELE), SFTP (libssh2's write,
/// append, rename and rm) or, for `file://`, the local file system. Folders are created as an
/// upload needs them (CURLOPT_FTP_CREATE_MISSING_DIRS, which SFTP honours too).
extension TransferSession {
    /// Bytes in `name` in `folder` on the server; nil when there is no such file (or folder).
    package func remoteSize(_ folder: MirrorFolder, _ name: String) throws(TransferError) -> Int64? {
        let url = source.fileURL(folder, name)
        switch source.scheme {
        case .file:
            requestCount += 1
            return FileSystem.size(of: url)
        case .sftp:
            // libcurl tells no size for an SFTP request without a body: the folder's listing does.
            do throws(TransferError) {
                return try list(folder).first { $0.name == name && !$0.isDirectory }.flatMap(\.size?.estimate)
            } catch where error.code == .transferNotFound {
                return nil
            }
        default:
            // SIZE alone (no MDTM): libcurl puts it in the content length.
            let sink = MemorySink(limit: 4096)
            do throws(TransferError) {
                try perform(url, sink: sink, configure: { easy in
                    [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true)), ("CURLOPT_FILETIME", easy.set(CURLOPT_FILETIME, false))]
                })
            } catch where error.code == .transferNotFound {
                return nil
            }
            let size = easy.infoOffset(CURLINFO_CONTENT_LENGTH_DOWNLOAD_T)
            return size >= 0 ? size : nil
        }
    }

    /// The server's own MD5 of `name` in `folder`, where it has the HASH command (the IETF draft
    /// "File Transfer Protocol HASH Command for Cryptographic Hashes": ProFTPD's mod_digest,
    /// FileZilla Server, Serv-U…); nil when it has not (asked once a session, then remembered) or
    /// for SFTP and folders, which have no such command.
    package func remoteMD5(_ folder: MirrorFolder, _ name: String) throws(TransferError) -> String? {
        guard source.isFTP, !hashRefused else { return nil }
        let replies = MemorySink(limit: 64 << 10)
        do throws(TransferError) {
            try perform(source.folderURL(folder), sink: MemorySink(limit: 1 << 20), commands: ["OPTS HASH MD5", "HASH \(name)"],
                        configure: { easy in
                [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true)), ("CURLOPT_FILETIME", easy.set(CURLOPT_FILETIME, false)),
                 ("CURLOPT_HEADERFUNCTION", easy.set(CURLOPT_HEADERFUNCTION, callback: { buffer, size, count, userdata in
                     // userdata is `replies`, kept alive by this frame (withExtendedLifetime below).
                     let sink = Unmanaged<ResponseSink>.fromOpaque(userdata!).takeUnretainedValue()
                     return sink.receive(UnsafeRawBufferPointer(start: buffer, count: size * count)) ? size * count : 0
                 })),
                 ("CURLOPT_HEADERDATA", easy.set(CURLOPT_HEADERDATA, pointer: Unmanaged.passUnretained(replies as ResponseSink).toOpaque()))]
            })
        } catch where error.curlCode == Int(CURLE_QUOTE_ERROR.rawValue) {
            // 500-504: no HASH here at all, not asked again; anything else (550 for one file, say):
            // no hash for this file, which then has its size checked only.
            if (500...504).contains(error.responseCode ?? 0) { hashRefused = true }
            return nil
        }
        withExtendedLifetime(replies) {}
        // "213 MD5 0-123456 0123456789abcdef0123456789abcdef .name.partial"
        for line in String(decoding: replies.bytes, as: UTF8.self).split(whereSeparator: \.isNewline) where line.hasPrefix("213 ") {
            let words = line.split(separator: " ")
            if words.count >= 4, words[1].uppercased() == "MD5", words[3].count == 32, words[3].allSatisfy(\.isHexDigit) {
                return words[3].lowercased()
            }
        }
        return nil
    }

    /// Sends bytes `offset..<length` of the local file open as `descriptor` (the caller keeps it
    /// open) to `name` in `folder`, appending to the `offset` bytes already there (APPE, an SFTP
    /// append) or, from 0, replacing whatever is there. Returns the bytes sent and the MD5 of the
    /// local file's `length` bytes, hashed as they were read. Does not check the result: the caller
    /// asks for the size.
    package func upload(_ descriptor: Int32, path: String, length: Int64, to folder: MirrorFolder, _ name: String, from offset: Int64,
                        progress: @escaping (Int64) -> Void) throws(UploadError) -> UploadResult {
        let body: UploadSource
        do throws(FileSystemError) {
            body = try UploadSource(descriptor: descriptor, path: path, offset: offset, length: length - offset, hashing: true)
        } catch { throw .local(error) }
        if source.scheme == .file {
            try copyLocally(body, to: source.fileURL(folder, name), offset: offset, progress: progress)
            return UploadResult(sent: body.sent, md5: body.digest ?? "")
        }
        do throws(TransferError) {
            try perform(source.fileURL(folder, name), sink: MemorySink(limit: 4096), upload: body,
                        progress: { progress(offset + $0) }, configure: { easy in
                Self.createFolders(easy) + [("CURLOPT_APPEND", easy.set(CURLOPT_APPEND, offset > 0))]
            })
        } catch {
            if let local = body.readFailure { throw .local(local) }
            throw .transfer(error)
        }
        return UploadResult(sent: body.sent, md5: body.digest ?? "")
    }

    /// Writes `bytes` (a `.md5` file) to `temporary` in `folder`, then renames it to `name`, in one
    /// request: readers see the old file or the new one, never a part.
    package func put(_ bytes: [UInt8], to folder: MirrorFolder, _ name: String, through temporary: String) throws(TransferError) {
        if source.scheme == .file {
            requestCount += 1
            let url = source.fileURL(folder, name)
            do throws(FileSystemError) {
                try FileSystem.createDirectory(url.deletingLastPathComponent())
                try FileSystem.writeAtomically(bytes, to: url)
            } catch { throw Self.localFailure(error, url: url) }
            return
        }
        try perform(source.fileURL(folder, temporary), sink: MemorySink(limit: 4096), upload: UploadSource(bytes: bytes),
                    commands: renameCommands(folder, from: temporary, to: name), configure: { easy in Self.createFolders(easy) })
    }

    /// Makes `folder` (and the target folder above it) where it does not exist yet, so that a
    /// reader finds both of NCBI's folders even when one holds nothing yet.
    package func createFolder(_ folder: MirrorFolder) throws(TransferError) {
        let url = source.folderURL(folder)
        switch source.scheme {
        case .file:
            requestCount += 1
            do throws(FileSystemError) { try FileSystem.createDirectory(url) } catch { throw Self.localFailure(error, url: url) }
        case .sftp:
            // Each folder from the top ('*': one that exists already is fine), before the request
            // looks at the last one.
            var path = url.path
            if path.hasPrefix("/~/") { path.removeFirst(3) }
            var prefix = path.hasPrefix("/") ? "" : "."
            var commands: [String] = []
            for part in path.split(separator: "/") {
                prefix += "/" + part
                commands.append("*mkdir \(Self.quoted(prefix))")
            }
            try perform(url, sink: MemorySink(limit: 1 << 20), before: commands, writes: true, configure: { easy in
                [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true))]
            })
        default:
            // Changing into it makes it (MKD), one level at a time.
            try perform(url, sink: MemorySink(limit: 1 << 20), writes: true, configure: { easy in
                Self.createFolders(easy) + [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true))]
            })
        }
    }

    /// Renames `temporary` to `name` in `folder`, replacing a file of that name, after removing
    /// `stale` (the old file's `.md5`, which must not be left beside other bytes) where it exists;
    /// in one request.
    package func rename(in folder: MirrorFolder, _ temporary: String, to name: String, removingFirst stale: String? = nil) throws(TransferError) {
        if source.scheme == .file {
            requestCount += 1
            if let stale {
                let url = source.fileURL(folder, stale)
                guard unlink(url.path) == 0 || errno == ENOENT else {
                    throw Self.localFailure(FileSystemError(path: url.path, operation: "delete", errno: errno), url: url)
                }
            }
            let from = source.fileURL(folder, temporary)
            do throws(FileSystemError) { try FileSystem.rename(from, to: source.fileURL(folder, name)) } catch { throw Self.localFailure(error, url: from) }
            return
        }
        let first = stale.map { [removeCommand(folder, $0, ifThere: true)] } ?? []
        do throws(TransferError) {
            try runCommands(in: folder, first + renameCommands(folder, from: temporary, to: name))
        } catch where source.isFTP && [550, 553].contains(error.responseCode ?? 0) {
            // Some servers (Windows' IIS) will not rename onto an existing name: the old file is
            // renamed aside, the new one into its place, and only then is the old one deleted. A
            // reader sees the old file, then none for an instant, then the new one. When the name
            // does not exist (the refusal was for another reason) or the new file cannot take it,
            // the old file is put back and the first refusal is what the run reports: a whole
            // published file is never deleted before its replacement is in place.
            let aside = "." + name + ".replaced"
            do {
                try runCommands(in: folder, renameCommands(folder, from: name, to: aside) + renameCommands(folder, from: temporary, to: name)
                                    + [removeCommand(folder, aside, ifThere: true)])
            } catch {
                _ = try? runCommands(in: folder, renameCommands(folder, from: aside, to: name))
                throw error
            }
        }
    }

    /// Deletes `names` from `folder`, in order; a name that is not there is no failure (a
    /// deletion cut short is simply done again). The caller lists the folder to see what went.
    package func delete(_ names: [String], in folder: MirrorFolder) throws(TransferError) {
        guard !names.isEmpty else { return }
        if source.scheme == .file {
            requestCount += 1
            for name in names {
                let url = source.fileURL(folder, name)
                guard unlink(url.path) == 0 || errno == ENOENT else {
                    throw Self.localFailure(FileSystemError(path: url.path, operation: "delete", errno: errno), url: url)
                }
            }
            return
        }
        try runCommands(in: folder, names.map { removeCommand(folder, $0, ifThere: true) })
    }

    // MARK: Helpers

    /// Missing folders are made (MKD, SFTP mkdir) as the upload changes into them; libcurl does
    /// that one folder at a time, so not with the single-CWD method other requests use.
    private static func createFolders(_ easy: CurlEasy) -> [(String, CURLcode)] {
        [("CURLOPT_FILETIME", easy.set(CURLOPT_FILETIME, false)),
         ("CURLOPT_FTP_FILEMETHOD", easy.set(CURLOPT_FTP_FILEMETHOD, Int(CURLFTPMETHOD_MULTICWD.rawValue))),
         ("CURLOPT_FTP_CREATE_MISSING_DIRS", easy.set(CURLOPT_FTP_CREATE_MISSING_DIRS, Int(CURLFTP_CREATE_DIR_RETRY.rawValue)))]
    }

    /// The command that removes `name` (`DELE`, SFTP `rm`); with `ifThere`, prefixed '*' so that
    /// libcurl carries on when the server refuses it (no such file).
    private func removeCommand(_ folder: MirrorFolder, _ name: String, ifThere: Bool) -> String {
        (ifThere ? "*" : "") + (source.isSFTP ? "rm \(sftpPath(folder, name))" : "DELE \(name)")
    }

    /// FTP runs the commands in the folder (the request changes into it first); SFTP takes paths.
    private func renameCommands(_ folder: MirrorFolder, from temporary: String, to name: String) -> [String] {
        if source.isSFTP {
            // SFTP version 3 (OpenSSH) will not rename onto an existing file: remove it first
            // ('*': carry on if there is none). A reader sees the old file, then none for an
            // instant, then the new one; never a part of it.
            return [removeCommand(folder, name, ifThere: true), "rename \(sftpPath(folder, temporary)) \(sftpPath(folder, name))"]
        }
        return ["RNFR \(temporary)", "RNTO \(name)"]
    }

    /// The path of a file in an SFTP quote command: as in the URL (absolute, or under the home
    /// folder for `/~/`), quoted.
    private func sftpPath(_ folder: MirrorFolder, _ name: String) -> String {
        var path = source.fileURL(folder, name).path
        if path.hasPrefix("/~/") { path.removeFirst(3) }
        return Self.quoted(path)
    }

    /// A path as libcurl's SFTP commands take it: in double quotes, `\` and `"` escaped.
    private static func quoted(_ path: String) -> String {
        let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    /// Runs `commands` after changing into `folder`, without a transfer.
    private func runCommands(in folder: MirrorFolder, _ commands: [String]) throws(TransferError) {
        try perform(source.folderURL(folder), sink: MemorySink(limit: 1 << 20), commands: commands, configure: { easy in
            [("CURLOPT_NOBODY", easy.set(CURLOPT_NOBODY, true)), ("CURLOPT_FILETIME", easy.set(CURLOPT_FILETIME, false))]
        })
    }

    /// `file://`: the bytes appended to (or, from 0, written over) the target file, flushed.
    private func copyLocally(_ source: UploadSource, to target: URL, offset: Int64, progress: (Int64) -> Void) throws(UploadError) {
        requestCount += 1
        do throws(FileSystemError) { try FileSystem.createDirectory(target.deletingLastPathComponent()) } catch { throw .local(error) }
        let output = open(target.path, O_WRONLY | O_CREAT | O_CLOEXEC | (offset > 0 ? 0 : O_TRUNC), 0o644)
        guard output >= 0 else { throw .local(FileSystemError(path: target.path, operation: "open", errno: errno)) }
        defer { close(output) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var position = offset
        while true {
            let count = source.read(into: buffer)
            if let failure = source.readFailure { throw .local(failure) }
            if count == 0 { break }
            var written = 0
            while written < count {
                let result = pwrite(output, buffer.baseAddress! + written, count - written, off_t(position))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw .local(FileSystemError(path: target.path, operation: "write", errno: errno)) }
                written += result
                position += Int64(result)
            }
            progress(position)
        }
        do throws(FileSystemError) { try FileSystem.sync(descriptor: output, path: target.path) } catch { throw .local(error) }
    }

    /// A local file operation of a `file://` target, as the request failure it stands for.
    private static func localFailure(_ error: FileSystemError, url: URL) -> TransferError {
        TransferError(kind: .permanent, scope: error.stopsRun ? .run : .file, code: error.code, url: url.absoluteString,
                      summary: error.description, advice: error.advice)
    }
}
