import Foundation
import PubMedFiles
import PubMedPublish
import PubMedSupport

extension Mirror {
    /// Copies the mirror's verified files to `options.target` (see `Publisher`). Reads the mirror
    /// without its writer lock: files reach their names by rename, so a fetch may run meanwhile
    /// (and writes only the targets' part of the state, so it does not take the database's ledger
    /// lock either).
    public func publish(_ options: PublishOptions, progress: ProgressBoard? = nil,
                        cancellation: CancellationFlag = CancellationFlag()) async throws(PublishError) -> PublishReport {
        let mirrored: Bool
        do throws(MirrorError) { mirrored = try existingState() != nil } catch { throw .mirror(error) }
        guard mirrored, FileManager.default.fileExists(atPath: layout.root.path) else { throw .nothingMirrored(path: layout.root.path) }
        let state: any MirrorState
        do throws(MirrorError) {
            state = try openState(exclusive: false)
            // The folder's publish lock keeps apart this machine's runs; a shared state's, every machine's.
            if !options.dryRun { try state.lockTarget(options.targetKey) }
        } catch { throw .mirror(error) }
        return try await Publisher(layout: layout, logger: logger).publish(options, state: state, progress: progress, cancellation: cancellation)
    }
}
