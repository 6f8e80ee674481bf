internal import CCurl
import Foundation
import PubMedSupport

/// One libcurl easy handle. Owned by one worker thread; not `Sendable`.
///
/// Reusing the handle for the next request of the same worker keeps libcurl's connection cache, so
/// an FTP control connection or an HTTP keep-alive connection serves many files.
/// https://curl.se/libcurl/c/libcurl-easy.html
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    /// The multi handle every request of this handle runs through (see `perform`); its connection
    /// cache is what keeps the connection from one request to the next.
    private let multi: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl writes its detailed message here. Owned by this object.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// Loads and initialises libcurl, once: nil when it is ready, else why not.
    private static let globalInit: String? = {
        if let failure = ccurl_load() { return "libcurl could not be loaded: \(String(cString: failure))" }
        // https://curl.se/libcurl/c/curl_global_init.html: once, before any other thread uses libcurl.
        return ccurl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK ? nil : "libcurl could not be initialised"
    }()

    /// The libcurl version in use, such as "7.88.1"; nil when libcurl cannot be loaded.
    static var version: String? { Self.globalInit == nil ? String(cString: ccurl_version_number()) : nil }

    init() throws(TransferError) {
        if let failure = Self.globalInit {
            throw TransferError(kind: .permanent, scope: .run, code: .transferLibcurl, url: "", summary: failure, advice: [.installLibcurl])
        }
        guard let handle = ccurl_easy_init() else {
            throw TransferError(kind: .permanent, scope: .run, code: .transferLibcurl, url: "", summary: "libcurl could not make a handle (out of memory?)")
        }
        guard let multi = ccurl_multi_init() else {
            ccurl_easy_cleanup(handle)
            throw TransferError(kind: .permanent, scope: .run, code: .transferLibcurl, url: "", summary: "libcurl could not make a multi handle (out of memory?)")
        }
        self.handle = handle
        self.multi = multi
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        // The handle is out of the multi after each request; the multi goes first, with its connections.
        ccurl_multi_cleanup(multi)
        ccurl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Forgets every option of the previous request but keeps the connection cache.
    /// https://curl.se/libcurl/c/curl_easy_reset.html
    func reset() -> CURLcode {
        ccurl_easy_reset(handle)
        errorBuffer[0] = 0
        return ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
    }

    // The setters return libcurl's code: an option it refuses (too old, or built without what the
    // option needs) must not pass unnoticed. `TransferSession.configure` checks every one.

    func set(_ option: CURLoption, _ value: Int) -> CURLcode {
        ccurl_setopt_long(handle, option, value)
    }

    func set(_ option: CURLoption, _ value: Bool) -> CURLcode {
        ccurl_setopt_long(handle, option, value ? 1 : 0)
    }

    /// libcurl copies string arguments (since 7.17), so the Swift string need not outlive the call.
    func set(_ option: CURLoption, _ value: String) -> CURLcode {
        value.withCString { ccurl_setopt_string(handle, option, $0) }
    }

    func set(_ option: CURLoption, offset value: Int64) -> CURLcode {
        ccurl_setopt_off(handle, option, curl_off_t(value))
    }

    func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?) -> CURLcode {
        ccurl_setopt_pointer(handle, option, value)
    }

    func set(_ option: CURLoption, callback: ccurl_data_callback) -> CURLcode {
        ccurl_setopt_data_callback(handle, option, callback)
    }

    func set(_ option: CURLoption, list: UnsafeMutablePointer<curl_slist>) -> CURLcode {
        ccurl_setopt_slist(handle, option, list)
    }

    func setProgress(callback: ccurl_xferinfo_callback) -> CURLcode {
        ccurl_setopt_xferinfo_callback(handle, callback)
    }

    /// Runs the configured request on the calling thread. Blocks: never call from the async pool.
    /// Through the multi interface with a 10 ms wait (`ccurl_perform_polling`), not
    /// curl_easy_perform: libcurl 7.88 can leave an FTP data connection unstarted until its 1 s
    /// wait ends, which cost parallel uploads 1 s a file.
    /// https://curl.se/libcurl/c/curl_multi_poll.html
    func perform() -> CURLcode {
        ccurl_perform_polling(multi, handle, 10)
    }

    func infoInt(_ info: CURLINFO) -> Int {
        var value = 0
        _ = ccurl_getinfo_long(handle, info, &value)
        return value
    }

    func infoOffset(_ info: CURLINFO) -> Int64 {
        var value: curl_off_t = 0
        _ = ccurl_getinfo_off(handle, info, &value)
        return Int64(value)
    }

    func infoString(_ info: CURLINFO) -> String? {
        var value: UnsafePointer<CChar>? = nil
        guard ccurl_getinfo_string(handle, info, &value) == CURLE_OK, let value else { return nil }
        return String(cString: value)
    }

    /// libcurl's detailed message for the last failure, or its generic text for `code`.
    func message(for code: CURLcode) -> String {
        let detailed = String(cString: errorBuffer)
        if !detailed.isEmpty { return detailed }
        return String(cString: ccurl_easy_strerror(code))
    }
}

extension CurlEasy {
    /// Copies `bytes` into a blob option such as CURLOPT_CAINFO_BLOB.
    func set(_ option: CURLoption, blob bytes: [UInt8]) -> CURLcode {
        bytes.withUnsafeBytes { ccurl_setopt_blob(handle, option, $0.baseAddress, $0.count) }
    }

    /// Whether a libcurl of `versionNumber` (0xXXYYZZ) has every option the transfers rely on.
    static func supports(versionNumber: UInt32) -> Bool {
        ccurl_version_supported(versionNumber) != 0
    }
}
