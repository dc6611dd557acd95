#include "temp_cleanup.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

// Written in C because a signal handler may only read plain static storage and call
// async-signal-safe functions (unlink, _exit); Swift guarantees neither. Registration is
// serialised by the Swift caller; the handler only reads slots whose flag is set.

enum { slot_count = 64, path_capacity = 4096 };
static char paths[slot_count][path_capacity];
static volatile sig_atomic_t used[slot_count];
// While a transaction renames its files over their targets, a signal is only recorded: the
// committing thread finishes or rolls back the whole sequence, then exits with it. (Undoing
// renames from the handler would race with that thread, which keeps running on another core.)
static volatile sig_atomic_t committing;
static volatile sig_atomic_t pending_signal;

void tcm_commit_begin(void) {
    __atomic_store_n(&pending_signal, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&committing, 1, __ATOMIC_SEQ_CST);
}

int tcm_commit_pending(void) { return __atomic_load_n(&pending_signal, __ATOMIC_SEQ_CST); }

int tcm_commit_end(void) {
    __atomic_store_n(&committing, 0, __ATOMIC_SEQ_CST);
    return __atomic_load_n(&pending_signal, __ATOMIC_SEQ_CST);
}

void tcm_exit_for_signal(int signal_number) { _exit(128 + signal_number); }

int tcm_cleanup_register(const char *path) {
    size_t length = strlen(path);
    if (length >= path_capacity) return -1;
    for (int i = 0; i < slot_count; i++) {
        if (!used[i]) {
            memcpy(paths[i], path, length + 1);
            __atomic_store_n(&used[i], 1, __ATOMIC_SEQ_CST);  // the path is complete before it is visible
            return i;
        }
    }
    return -1;
}

void tcm_cleanup_forget(int slot) {
    if (slot >= 0 && slot < slot_count) __atomic_store_n(&used[slot], 0, __ATOMIC_SEQ_CST);
}

static void unlink_then_exit(int signal_number) {
    if (__atomic_load_n(&committing, __ATOMIC_SEQ_CST)) {
        if (!__atomic_load_n(&pending_signal, __ATOMIC_SEQ_CST)) __atomic_store_n(&pending_signal, signal_number, __ATOMIC_SEQ_CST);
        return;
    }
    for (int i = 0; i < slot_count; i++) {
        if (__atomic_load_n(&used[i], __ATOMIC_SEQ_CST)) unlink(paths[i]);
    }
    _exit(128 + signal_number);
}

void tcm_cleanup_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = unlink_then_exit;
    int wanted[] = { SIGINT, SIGTERM, SIGHUP };
    enum { wanted_count = sizeof wanted / sizeof wanted[0] };
    sigset_t set;
    sigemptyset(&set);
    for (unsigned i = 0; i < wanted_count; i++) sigaddset(&set, wanted[i]);
    action.sa_mask = set;
    // A parent may hand us these signals blocked (a worker thread's mask survives exec): unblock
    // them, or a SIGTERM would wait until the run ends and the temporaries would be renamed.
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    for (unsigned i = 0; i < wanted_count; i++) {
        struct sigaction current;
        // An ignored SIGHUP (nohup) stays ignored; SIGINT and SIGTERM always clean up.
        if (wanted[i] == SIGHUP && sigaction(SIGHUP, NULL, &current) == 0 && current.sa_handler == SIG_IGN) continue;
        sigaction(wanted[i], &action, NULL);
    }
}
