#define _GNU_SOURCE
#include "CSystem.h"

#include <fcntl.h>

int csystem_start_writeback(int descriptor, long long offset, long long length) {
    return sync_file_range(descriptor, offset, length, SYNC_FILE_RANGE_WRITE);
}
