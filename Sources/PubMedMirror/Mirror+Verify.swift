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
        if database != nil {
            // The shared ledger describes the folder of the machine that fetches; another machine's
            // folder would have every file marked missing, and fetched again there.
            let mirrored = try state.files().filter { $0.status == .mirrored }
            if !mirrored.isEmpty, !mirrored.contains(where: { FileManager.default.fileExists(atPath: layout.file($0.folder, $0.name).path) }) {
                throw .notThisFolder(path: layout.root.path, ledger: state.location)
            }
        }
        return try await files.verify(jobs: jobs, store: state, progress: progress, cancellation: cancellation)
    }
}
