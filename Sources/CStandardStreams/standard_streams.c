#include "CStandardStreams.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

static int closed_at_start = 0;

// Runs before main, and before the Swift runtime and libdispatch open descriptors of their own.
//
// A program started with a standard stream closed (`cmd >&-`) would hand that number to the next
// descriptor it opens: libdispatch's eventfd, or the index database, which its results would then
// be written into. Each closed one gets /dev/null instead: standard output opened for reading only,
// so that writing a result fails (EBADF) and is reported rather than lost; standard input and error
// as usual. (OpenSSH's sanitise_stdfd does the same.)
//
// SIGPIPE is ignored so that a reader that closes the pipe early (`| head`) makes write(2) return
// EPIPE, which the command line handles (it ends quietly, by SIGPIPE, as cat does) instead of the
// signal killing the process in the middle of whatever it was doing.
__attribute__((constructor)) static void guard_standard_streams(void) {
    static const int modes[3] = { O_RDONLY, O_RDONLY, O_WRONLY };
    for (int descriptor = 0; descriptor < 3; descriptor++) {
        if (fcntl(descriptor, F_GETFD) != -1) continue;
        int opened = open("/dev/null", modes[descriptor]);
        if (opened < 0) continue;
        if (opened != descriptor) {
            dup2(opened, descriptor);
            close(opened);
        }
        closed_at_start |= 1 << descriptor;
    }
    signal(SIGPIPE, SIG_IGN);
}

int cstandardstreams_closed_at_start(void) { return closed_at_start; }
