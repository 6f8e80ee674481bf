/// The growing text of the field being captured: one allocation reused for every field of the
/// file, appended to with `memcpy`, emptied by resetting its count.
///
/// Owned by one `RecordAssembler`. Its stored properties skip Swift's dynamic exclusivity
/// checks: they are touched for every text callback, only ever from the parser's thread, and
/// never through overlapping accesses.
final class TextBuffer {
    @exclusivity(unchecked) private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var storage: UnsafeMutablePointer<UInt8>

    init(capacity: Int = 64 * 1024) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    var isEmpty: Bool { count == 0 }

    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    func removeAll() { count = 0 }

    @inline(__always)
    func append(_ bytes: UnsafePointer<UInt8>, count added: Int) {
        if count + added > capacity { grow(to: count + added) }
        (storage + count).update(from: bytes, count: added)
        count += added
    }

    func append(_ byte: UInt8) {
        withUnsafePointer(to: byte) { append($0, count: 1) }
    }

    /// The text, flattened (see `TextBytes.flattened`); the buffer's bytes are rewritten.
    func flattened() -> String {
        TextBytes.flattened(UnsafeMutableBufferPointer(start: storage, count: count))
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newStorage.update(from: storage, count: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }
}
