internal import CCurl
import Crypto
import Foundation
import PubMedSupport

/// Where libcurl's read callback takes an upload's body from: a stretch of a local file (read with
/// `pread`, so the descriptor's position does not matter) or a few bytes in memory (a `.md5`).
/// Owned by the request that uses it and touched only by that request's thread.
final class UploadSource {
    private enum Body {
        case file(descriptor: Int32, path: String)
        case bytes([UInt8])
    }

    private let body: Body
    /// Where in the body the upload starts (the bytes before are on the server already).
    private let start: Int64
    /// Bytes to send.
    let length: Int64
    /// Bytes handed to libcurl so far.
    private(set) var sent: Int64 = 0
    /// errno of a failed read of the local file.
    private(set) var readErrno: Int32 = 0
    /// The MD5 of the whole file, fed as its bytes go out (`publish` checks it before the rename).
    private var hasher: Insecure.MD5?

    /// The file's bytes from `offset` to `offset + length`. The caller keeps `descriptor` open.
    /// With `hashing`, the bytes before `offset` are hashed first (read here, not sent), and the
    /// rest as it is sent: `digest` is then the whole file's MD5, in one pass over what is sent.
    init(descriptor: Int32, path: String, offset: Int64, length: Int64, hashing: Bool = false) throws(FileSystemError) {
        body = .file(descriptor: descriptor, path: path)
        start = offset
        self.length = length
        guard hashing else { return }
        var hasher = Insecure.MD5()
        if offset > 0 {
            try FileChunks.read(descriptor: descriptor, path: path, chunkSize: 1 << 20, limit: { $0 < offset ? offset : nil },
                                mapError: { $0 }) { (chunk) throws(FileSystemError) in hasher.update(bufferPointer: chunk) }
        }
        self.hasher = hasher
    }

    /// The MD5 of the whole file, once every byte has been handed out (nil without hashing, or before).
    var digest: String? {
        guard sent == length, let hasher else { return nil }
        return hasher.finalize().hex
    }

    init(bytes: [UInt8]) {
        body = .bytes(bytes)
        start = 0
        length = Int64(bytes.count)
    }

    /// Fills `buffer` with the next bytes; 0 at the end; CURL_READFUNC_ABORT when the file cannot be read.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let wanted = Int(min(Int64(buffer.count), length - sent))
        guard wanted > 0 else { return 0 }
        switch body {
        case .bytes(let bytes):
            let from = Int(start + sent)
            bytes[from..<from + wanted].withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: wanted) }
            sent += Int64(wanted)
            return wanted
        case .file(let descriptor, _):
            while true {
                let count = pread(descriptor, buffer.baseAddress, wanted, off_t(start + sent))
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else {
                    // A file that shrank under the upload reads as an error too.
                    readErrno = count < 0 ? errno : EIO
                    return Int(CURL_READFUNC_ABORT)
                }
                hasher?.update(bufferPointer: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count))
                sent += Int64(count)
                return count
            }
        }
    }

    /// The local failure, when reading the file is what stopped the upload.
    var readFailure: FileSystemError? {
        guard readErrno != 0, case .file(_, let path) = body else { return nil }
        return FileSystemError(path: path, operation: "read", errno: readErrno)
    }
}

/// FTP or SFTP commands for one request (CURLOPT_POSTQUOTE), as the linked list libcurl takes.
struct CommandList {
    let list: UnsafeMutablePointer<curl_slist>?
    /// False when libcurl could not add a command (out of memory): the request must not run.
    let complete: Bool

    init(_ commands: [String]) {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        var complete = true
        for command in commands {
            guard let longer = command.withCString({ ccurl_slist_append(list, $0) }) else {
                complete = false
                break
            }
            list = longer
        }
        self.list = list
        self.complete = complete
    }

    func free() {
        if let list { ccurl_slist_free_all(list) }
    }
}
