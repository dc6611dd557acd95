#define _GNU_SOURCE
#include "terminal_guard.h"
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

// Written in C because a signal handler may only touch plain static storage and call
// async-signal-safe functions (tcsetattr, write, sigaction, raise); Swift guarantees neither.

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
enum { fatal_count = sizeof fatal_signals / sizeof fatal_signals[0] };
static struct sigaction previous[fatal_count];
static struct termios saved_modes;
static int saved_fd = -1;
static volatile sig_atomic_t installed = 0;

static void restore_then_forward(int signal_number) {
    if (saved_fd >= 0) {
        tcsetattr(saved_fd, TCSANOW, &saved_modes);
        // Leave the alternate screen, reset attributes, show the cursor, stop mouse reports.
        static const char reset[] = "\033[?1049l\033[0m\033[?25h\033[?1002l\033[?1006l\033[?1000l\r\n";
        ssize_t ignored = write(saved_fd, reset, sizeof reset - 1);
        (void)ignored;
    }
    // Swift's backtracer (the handler forwarded to below) decides at start-up to be interactive
    // when stdin is a terminal, and after printing the backtrace waits up to 30 s for a key,
    // holding the shell. Its helper polls fd 0: with /dev/null there, the wait ends at once
    // (end of file), while the backtrace itself is still printed.
    int nothing = open("/dev/null", O_RDONLY);
    if (nothing >= 0) {
        dup2(nothing, STDIN_FILENO);
        if (nothing != STDIN_FILENO) close(nothing);
    }
    for (int i = 0; i < fatal_count; i++) {
        if (fatal_signals[i] == signal_number) { sigaction(signal_number, &previous[i], NULL); break; }
    }
    raise(signal_number);
    // The forwarded handler returned (Swift's backtracer does, expecting a faulting instruction
    // to fault again; a signal sent with kill() would not): end the process the default way.
    signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void tcm_guard_prepare_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    int wanted[] = { SIGWINCH, SIGINT, SIGTERM, SIGTSTP, SIGCONT, SIGHUP };
    for (unsigned i = 0; i < sizeof wanted / sizeof wanted[0]; i++) sigaddset(&set, wanted[i]);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    struct sigaction current;
    if (sigaction(SIGWINCH, NULL, &current) == 0 && current.sa_handler == SIG_IGN) signal(SIGWINCH, SIG_DFL);
}

void tcm_guard_install(int fd) {
    if (installed || tcgetattr(fd, &saved_modes) != 0) return;
    saved_fd = fd;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = restore_then_forward;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_NODEFER | SA_RESETHAND;
    for (int i = 0; i < fatal_count; i++) sigaction(fatal_signals[i], &action, &previous[i]);
    installed = 1;
}

void tcm_guard_remove(void) {
    if (!installed) return;
    for (int i = 0; i < fatal_count; i++) sigaction(fatal_signals[i], &previous[i], NULL);
    installed = 0;
    saved_fd = -1;
}
