import Foundation
import Logging
import PubMedFiles
import PubMedIndex
import PubMedListing
import PubMedSupport

extension Mirror {
    /// Indexes one local file, whatever its name (for pipelines that bring their own files).
    public func index(file url: URL) async throws(IndexError) -> AppliedFile {
        let results = try await index(files: [url])
        // One file in, one result out.
        return try results[0].get()
    }

    /// Indexes local files, whatever their names, one after another in the order given, each in
    /// its own transaction; a file that fails does not stop the others. With one store for all, the
    /// next file is read while the last one is checkpointed. Fails as a whole only when the index
    /// cannot be opened or the lock taken.
    public func index(files urls: [URL], cancellation: CancellationFlag = CancellationFlag())
        async throws(IndexError) -> [Result<AppliedFile, IndexError>] {
        let lock: FileLock
        do throws(MirrorError) { lock = try self.lock(creating: true) } catch { throw IndexError(state: error) }
        defer { withExtendedLifetime(lock) {} }
        let mirror = self
        return try await BlockingThreads.value(name: "index", cancellation: cancellation) { () -> Result<[Result<AppliedFile, IndexError>], IndexError> in
            Result { () throws(IndexError) -> [Result<AppliedFile, IndexError>] in
                let store = try mirror.indexHome(writable: true).openLiveCreating()
                let results = urls.map { url in
                    Result { () throws(IndexError) -> AppliedFile in try mirror.indexLocal(url, into: store, cancellation: cancellation) }
                }
                if !cancellation.isCancelled { mirror.finished(try store.finishRun(cancellation: cancellation)) }
                return results
            }
        }.get()
    }

    /// One local file into `store`, unless it was applied already.
    private func indexLocal(_ url: URL, into store: any RecordStore, cancellation: CancellationFlag) throws(IndexError) -> AppliedFile {
        let name = url.lastPathComponent
        let parsed = PubMedFileName(name)
        var identity = FileIdentity(name: name, folder: "local", cycle: parsed?.cycle, number: parsed?.number, md5: "")
        // Re-applying an applied file changes nothing: a file of a name already applied is hashed
        // first, to tell. Any other is hashed as it is read (an empty MD5 asks for that).
        let sameName = try store.appliedFiles().filter { $0.name == name }
        if !sameName.isEmpty {
            do throws(FileSystemError) { identity.md5 = try FileDigest.md5(of: url) } catch { throw .local(error) }
            if let done = sameName.first(where: { $0.md5 == identity.md5 }) {
                logger.info("\(name) was applied already (\(done.appliedAt)); nothing to do")
                return done
            }
        }
        return try store.apply(identity, contentsOf: url, cancellation: cancellation)
    }
}
