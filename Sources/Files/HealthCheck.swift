import Foundation
import PubMedListing
import PubMedSupport
import PubMedTransfer

/// What `health` found: whether the source answers and lists both folders, and how fast.
public struct HealthReport: Sendable {
    public struct Check: Sendable {
        public var folder: MirrorFolder
        public var ok: Bool
        public var milliseconds: Double
        /// PubMed data files listed (with and without `.md5`).
        public var files: Int
        public var withoutMD5: Int
        public var error: String?
        public var errorCode: ErrorCode?
    }
    public var source: String
    public var checks: [Check]
    public var healthy: Bool {
        checks.allSatisfy(\.ok) && checks.contains { $0.folder == .baseline && $0.files > 0 }
    }
}

public enum HealthCheck {
    /// Lists both folders once each (no retries: health tells how the server is now), over one
    /// connection, timing each listing. The first one includes connecting and logging in.
    public static func run(source: MirrorSource, options: TransferOptions) async -> HealthReport {
        await BlockingThreads.value(name: "health", cancellation: CancellationFlag()) {
            var checks: [HealthReport.Check] = []
            let session: TransferSession
            do throws(TransferError) {
                session = try TransferSession(source: source, options: options, cancellation: CancellationFlag())
            } catch {
                return HealthReport(source: source.description, checks: MirrorFolder.allCases.map {
                    .init(folder: $0, ok: false, milliseconds: 0, files: 0, withoutMD5: 0, error: error.description, errorCode: error.code)
                })
            }
            for folder in MirrorFolder.allCases {
                let start = ContinuousClock.now
                do throws(TransferError) {
                    let entries = try session.list(folder)
                    let files = RemoteCatalog.files(in: folder, from: entries).files
                    let elapsed = (ContinuousClock.now - start).inSeconds * 1000
                    var check = HealthReport.Check(folder: folder, ok: true, milliseconds: elapsed, files: files.count,
                                                   withoutMD5: files.filter { $0.md5 == nil }.count)
                    if folder == .baseline && files.isEmpty {
                        check.ok = false
                        check.error = "baseline/ lists no PubMed files"
                        check.errorCode = .listingEmpty
                    }
                    checks.append(check)
                } catch {
                    checks.append(.init(folder: folder, ok: false, milliseconds: (ContinuousClock.now - start).inSeconds * 1000,
                                        files: 0, withoutMD5: 0, error: error.description, errorCode: error.code))
                }
            }
            return HealthReport(source: source.description, checks: checks)
        }
    }
}
