#ifndef PUBMED_MIRROR_CSYSTEM_H
#define PUBMED_MIRROR_CSYSTEM_H
// Linux system calls that Swift's Glibc module does not expose.

/// Starts writing the file's dirty pages in [offset, offset + length) to the disk, without waiting
/// (sync_file_range with SYNC_FILE_RANGE_WRITE), so that a later fsync has less left to wait for.
/// Returns 0, or -1 with errno set. https://man7.org/linux/man-pages/man2/sync_file_range.2.html
int csystem_start_writeback(int descriptor, long long offset, long long length);

/// The calling thread's nice value (Linux gives each thread its own), or -100 when it cannot be read.
int csystem_thread_nice(void);

/// Sets the calling thread's nice value (raising it needs no privilege; lowering it below where it
/// was does). Returns 0, or -1 with errno set. https://man7.org/linux/man-pages/man2/setpriority.2.html
int csystem_set_thread_nice(int nice);

/// Swaps two paths atomically (renameat2 with RENAME_EXCHANGE, Linux 3.15): a folder replaced whole,
/// never missing for an instant. 0, or -1 with errno (EINVAL where the file system cannot).
int csystem_rename_exchange(const char *from, const char *to);

#endif
