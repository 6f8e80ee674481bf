import Foundation
import PubMedFiles
import PubMedSupport

extension Mirror {
    /// Re-hashes every mirrored file against the `.md5` beside it and the MD5 recorded at download,
    /// and marks damaged or missing files for the next fetch (`FileMirror.verify`). Takes the
    /// mirror's lock, since it writes to the state database.
    public func verify(jobs: Int = 2, progress: ProgressBoard? = nil,
                       cancellation: CancellationFlag = CancellationFlag()) async throws(MirrorError) -> VerifyReport {
        guard try existingState() != nil, FileManager.default.fileExists(atPath: layout.root.path) else {
            return .nothing
        }
        let lock = try self.lock(creating: false)
        defer { withExtendedLifetime(lock) {} }
        let state = try openState()
        return try await files.verify(jobs: jobs, store: state, progress: progress, cancellation: cancellation)
    }
}
