#ifndef PUBMED_MIRROR_CSYSTEM_H
#define PUBMED_MIRROR_CSYSTEM_H
// Linux system calls that Swift's Glibc module does not expose.

/// Starts writing the file's dirty pages in [offset, offset + length) to the disk, without waiting
/// (sync_file_range with SYNC_FILE_RANGE_WRITE), so that a later fsync has less left to wait for.
/// Returns 0, or -1 with errno set. https://man7.org/linux/man-pages/man2/sync_file_range.2.html
int csystem_start_writeback(int descriptor, long long offset, long long length);

#endif
