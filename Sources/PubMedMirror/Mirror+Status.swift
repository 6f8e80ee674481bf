import Foundation
import PubMedFiles
import PubMedIndex
import PubMedMeSH
import PubMedSupport

/// What `status` shows: the mirror's files and its index, without the network.
public struct MirrorStatus: Sendable {
    public var mirrorPath: String
    /// Whether a fetch has recorded anything in the mirror's state yet.
    public var exists: Bool
    /// Where the state is kept (`MirrorState.location`), when it exists.
    public var stateLocation: String?
    public var files: FileStatus
    /// The index in use, when there is one: its counts, and mirrored files it has not applied yet.
    public var index: IndexCounts?
    public var indexPath: String?
    public var notIndexed: [String] = []
    /// Why the index could not be read, when it could not.
    public var indexError: IndexError?
    /// An annual rollover under way: the mirror holds (or the server lists) a newer baseline cycle
    /// than the index in use.
    public var rollover: RolloverState?
    /// The MeSH thesaurus, when one has been built, or why it cannot be read.
    public var mesh: MeshThesaurusInfo?
    public var meshError: MeshError?
    /// The targets `publish` has copied the mirror to: files there, and the last run.
    public var published: [PublishedTarget] = []
}

extension Mirror {
    public func status() throws(MirrorError) -> MirrorStatus {
        var status = MirrorStatus(mirrorPath: layout.root.path, exists: false, files: .empty)
        do throws(MeshError) { status.mesh = try openMeSH()?.info } catch { status.meshError = error }
        let existing: (any MirrorState)?
        do throws(MirrorError) {
            existing = try existingState()
        } catch {
            // The shared database cannot be read (down, the login refused, TLS not trusted): said
            // as the index's failure, which it is too.
            guard case .server(let failure) = error else { throw error }
            status.indexError = .server(failure)
            return status
        }
        guard let state = existing else {
            // A machine that only reads the shared store has no mirror folder: the index alone.
            if database != nil {
                do throws(IndexError) { try indexStatus(&status, records: []) } catch { status.indexError = error }
            }
            return status
        }
        status.exists = true
        status.stateLocation = state.location
        let records = try state.files()
        status.files = files.status(records: records, runs: try state.runs(limit: 200))
        status.published = try state.publishTargets()
        do throws(IndexError) {
            try indexStatus(&status, records: records)
        } catch {
            status.indexError = error
        }
        return status
    }

    /// The index's counts, and what `index` would do next (the same plan).
    private func indexStatus(_ status: inout MirrorStatus, records: [MirroredFile]) throws(IndexError) {
        let home = try indexHome(writable: false)
        guard let live = try openLiveForStatus(home) else { return }
        status.indexPath = live.location
        status.index = try live.counts()
        let liveApplied = try live.appliedFiles()
        let liveCycle = IndexPlan.cycle(of: liveApplied)
        let target = IndexPlan.target(records: records, liveCycle: liveCycle, rebuild: false)
        var applied = liveApplied
        var filesIndexed = 0
        if case .rollover(_, let cycle) = target {
            if let building = try home.building(cycle: cycle) {
                applied = try building.appliedFiles()
                filesIndexed = applied.count
            } else {
                applied = []
            }
        }
        let plan = IndexPlan.make(records: records, liveCycle: liveCycle, target: target,
                                  applied: applied, allowGaps: true, keepOld: true)
        status.rollover = plan.rollover(filesIndexed: filesIndexed)
        // What the index in use has still to apply (a rollover's files are counted in its state);
        // a new cycle only announced by the server hides nothing pending in the index in use.
        status.notIndexed = target == .live ? (plan.steps.map(\.file) + plan.heldBack).map { "\($0.folder.rawValue)/\($0.name)" } : []
    }
}

extension Mirror {
    /// The index in use, read-only; nil when there is none yet.
    func openLiveForStatus(_ home: IndexHome) throws(IndexError) -> (any RecordStore)? {
        do {
            return try openIndex()
        } catch {
            if case .notIndexed = error { return nil }
            throw error
        }
    }
}
