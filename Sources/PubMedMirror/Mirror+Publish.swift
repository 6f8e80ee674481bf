import Foundation
import PubMedFiles
import PubMedPublish
import PubMedSupport

extension Mirror {
    /// Copies the mirror's verified files to `options.target` (see `Publisher`). Reads the mirror
    /// without its writer lock: files reach their names by rename, so a fetch may run meanwhile.
    public func publish(_ options: PublishOptions, progress: ProgressBoard? = nil,
                        cancellation: CancellationFlag = CancellationFlag()) async throws(PublishError) -> PublishReport {
        guard FileManager.default.fileExists(atPath: layout.stateDatabase.path) else { throw .nothingMirrored(path: layout.root.path) }
        let state: StateStore
        do throws(MirrorError) { state = try StateStore(path: layout.stateDatabase.path) } catch { throw .mirror(error) }
        return try await Publisher(layout: layout, logger: logger).publish(options, state: state, progress: progress, cancellation: cancellation)
    }
}
