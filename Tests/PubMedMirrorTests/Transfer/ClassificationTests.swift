import Testing
@testable import PubMedSupport
@testable import PubMedTransfer

/// The one place where CURLcodes, FTP replies and HTTP statuses become a decision: retry or not,
/// this file or the whole run, which code, what would help. As a table, by libcurl's documented
/// numbers (https://curl.se/libcurl/c/libcurl-errors.html).
@Suite struct ClassificationTests {
    struct Row: Sendable, CustomStringConvertible {
        var curl: Int
        var response = 0
        var ftp = false
        var sftp = false
        /// A write: an upload, a rename or a deletion (`publish`).
        var upload = false
        /// The server is a publish target.
        var target = false
        var stalled = false
        /// libcurl's connect time was not 0 (a connection was made).
        var connected = true
        var overflow: Int?
        var retryAfter: Int64 = 0
        var kind: TransferError.Kind
        var scope: TransferError.Scope
        var code: ErrorCode
        var advice: [Advice] = []
        var description: String {
            "curl \(curl) reply \(response)\(ftp ? " ftp" : "")\(sftp ? " sftp" : "")\(upload ? " upload" : "")\(target ? " target" : "")\(stalled ? " stalled" : "")\(connected ? "" : " unconnected")"
        }
    }

    static let rows: [Row] = [
        Row(curl: 42, stalled: true, kind: .transient, scope: .file, code: .transferStalled, advice: [.raiseStallTimeout]),
        Row(curl: 42, kind: .cancelled, scope: .run, code: .cancelled),
        Row(curl: 23, overflow: 4096, kind: .permanent, scope: .file, code: .transferResponseTooLarge),
        Row(curl: 78, response: 421, ftp: true, kind: .transient, scope: .file, code: .transferTooManyConnections, advice: [.lowerJobs]),
        Row(curl: 19, response: 426, ftp: true, kind: .transient, scope: .file, code: .transferServerError),
        Row(curl: 67, response: 530, ftp: true, kind: .permanent, scope: .run, code: .transferLoginRefused, advice: [.checkCredentials]),
        Row(curl: 78, response: 550, ftp: true, kind: .permanent, scope: .file, code: .transferNotFound),
        Row(curl: 19, response: 502, ftp: true, kind: .permanent, scope: .file, code: .transferUnsupported),
        Row(curl: 22, response: 503, retryAfter: 7, kind: .transient, scope: .file, code: .transferServerError),
        Row(curl: 22, response: 429, kind: .transient, scope: .file, code: .transferServerError),
        Row(curl: 22, response: 403, kind: .permanent, scope: .run, code: .transferLoginRefused, advice: [.checkCredentials, .checkSource]),
        Row(curl: 22, response: 404, kind: .permanent, scope: .file, code: .transferNotFound),
        Row(curl: 22, response: 416, kind: .permanent, scope: .file, code: .transferRefused),
        // A redirect libcurl could not follow, ended "OK": an HTTP status that is no success.
        Row(curl: 22, response: 302, kind: .permanent, scope: .file, code: .transferRefused, advice: [.checkSource]),
        Row(curl: 6, kind: .transient, scope: .run, code: .transferUnresolvedHost, advice: [.checkSourceAndDNS]),
        Row(curl: 7, kind: .transient, scope: .file, code: .transferCannotConnect),
        Row(curl: 28, kind: .transient, scope: .file, code: .transferTimedOut, advice: [.checkTimeouts]),
        // No connection within the connect timeout (packets dropped, not refused): unreachable, as 7 is.
        Row(curl: 28, connected: false, kind: .transient, scope: .file, code: .transferCannotConnect, advice: [.checkTimeouts]),
        Row(curl: 18, kind: .transient, scope: .file, code: .transferFailed),
        Row(curl: 56, kind: .transient, scope: .file, code: .transferFailed),
        Row(curl: 60, kind: .permanent, scope: .run, code: .transferTLSUntrusted, advice: [.trustCertificate]),
        Row(curl: 64, kind: .permanent, scope: .run, code: .transferNoTLS, advice: [.usePlainFTP]),
        Row(curl: 67, kind: .permanent, scope: .run, code: .transferLoginRefused, advice: [.checkCredentials]),
        Row(curl: 37, kind: .permanent, scope: .file, code: .transferNotFound),
        Row(curl: 9, kind: .permanent, scope: .file, code: .transferNotFound),
        Row(curl: 1, kind: .permanent, scope: .run, code: .transferBadURL, advice: [.checkSource]),
        Row(curl: 19, ftp: true, kind: .transient, scope: .file, code: .transferFailed),
        Row(curl: 99, kind: .transient, scope: .file, code: .transferFailed),
        // Writes (publish): FTP 552, 553, 550 and the SFTP equivalents get their own codes.
        Row(curl: 25, response: 552, ftp: true, upload: true, kind: .permanent, scope: .run, code: .transferStorageFull, advice: [.freeTargetSpace]),
        Row(curl: 55, response: 552, ftp: true, upload: true, kind: .permanent, scope: .run, code: .transferStorageFull, advice: [.freeTargetSpace]),
        Row(curl: 25, response: 553, ftp: true, upload: true, kind: .permanent, scope: .file, code: .transferNameRefused, advice: [.checkTargetPermissions]),
        Row(curl: 25, response: 550, ftp: true, upload: true, kind: .permanent, scope: .run, code: .transferWriteRefused, advice: [.checkTargetPermissions]),
        Row(curl: 21, response: 550, ftp: true, upload: true, kind: .permanent, scope: .run, code: .transferWriteRefused, advice: [.checkTargetPermissions]),
        Row(curl: 67, response: 530, ftp: true, upload: true, target: true, kind: .permanent, scope: .run, code: .transferLoginRefused, advice: [.checkTargetCredentials]),
        Row(curl: 25, response: 451, ftp: true, upload: true, kind: .transient, scope: .file, code: .transferServerError),
        Row(curl: 55, ftp: true, upload: true, kind: .transient, scope: .file, code: .transferFailed),
        Row(curl: 70, sftp: true, upload: true, kind: .permanent, scope: .run, code: .transferStorageFull, advice: [.freeTargetSpace]),
        Row(curl: 9, sftp: true, upload: true, kind: .permanent, scope: .run, code: .transferWriteRefused, advice: [.checkTargetPermissions]),
        Row(curl: 21, sftp: true, upload: true, kind: .permanent, scope: .file, code: .transferWriteRefused, advice: [.checkTargetPermissions]),
        Row(curl: 60, sftp: true, kind: .permanent, scope: .run, code: .transferHostKeyUnverified, advice: [.addKnownHost]),
        Row(curl: 67, sftp: true, target: true, kind: .permanent, scope: .run, code: .transferLoginRefused, advice: [.checkSSHCredentials]),
        Row(curl: 78, sftp: true, kind: .permanent, scope: .file, code: .transferNotFound),
        Row(curl: 79, sftp: true, upload: true, kind: .transient, scope: .file, code: .transferWriteFailed, advice: [.freeTargetSpace, .checkTargetPermissions]),
    ]

    @Test(arguments: rows)
    func aFailureIsClassifiedOnce(row: Row) {
        let error = TransferError.classify(FailedRequest(
            curlCode: row.curl, responseCode: row.response, isFTP: row.ftp, isSFTP: row.sftp, isTarget: row.target, isUpload: row.upload, stalled: row.stalled,
            connected: row.connected, overflowLimit: row.overflow,
            detail: "detail", retryAfter: row.retryAfter, url: "ftp://host/pubmed/baseline/x", stallTimeout: 2))
        #expect(error.kind == row.kind)
        #expect(error.scope == row.scope)
        #expect(error.code == row.code)
        #expect(error.advice == row.advice)
        #expect(error.curlCode == row.curl)
        #expect(error.responseCode == (row.response == 0 ? nil : row.response))
        #expect(error.retryAfter == (row.retryAfter > 0 ? Double(row.retryAfter) : nil))
        #expect(error.description.hasPrefix("ftp://host/pubmed/baseline/x: "))
    }

    @Test func aStallSaysHowLongItWaited() {
        let error = TransferError.classify(FailedRequest(curlCode: 42, isFTP: false, stalled: true, detail: "", url: "u", stallTimeout: 1.5))
        #expect(error.summary == "no data for 1.5 s (stalled)")
    }
}
