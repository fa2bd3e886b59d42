// libFuzzer front end for the SharpFuzz-instrumented fuzz program (Fuzzer.LibFuzzer.Run on the .NET side).
//
// libFuzzer needs an in-process target; the targets live in a .NET process. This driver starts that process once
// and talks to it the way SharpFuzz expects on Linux:
//   - a System V shared memory segment: the first MAP_SIZE bytes are the coverage map the instrumented code
//     increments, the input follows it (at most DATA_SIZE bytes);
//   - a control pipe (driver to .NET) carrying the input length as a 32-bit integer for each run, and a status
//     pipe (.NET to driver) carrying 0 once at start and then one status per run (non-zero: an exception escaped);
//   - the segment id and the two pipe descriptors in __LIBFUZZER_SHM_ID, __LIBFUZZER_CONTROL_PIPE_ID and
//     __LIBFUZZER_STATUS_PIPE_ID.
// After each run the coverage map is copied into libFuzzer's extra counters, so the managed code's edges guide
// the search. An escaped exception or a dead .NET process aborts the driver, which libFuzzer reports as a crash
// and saves the input; a hang is caught by libFuzzer's -timeout.
//
// Build: clang -O2 -fsanitize=fuzzer dotnet-driver.c -o dotnet-driver
// Run:   GOVEXEC_FUZZ_DLL=GovernedExecution.Fuzz.dll GOVEXEC_FUZZ_TARGET=artifact ./dotnet-driver [flags] CORPUS...
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16)
#define DATA_SIZE (1 << 20)
#define CONTROL_FD 198
#define STATUS_FD 199

// Not static and marked used: libFuzzer finds the section by its start and stop symbols, and nothing here reads it.
__attribute__((used, section("__libfuzzer_extra_counters"))) uint8_t managed_coverage[MAP_SIZE];

static uint8_t *shared;
static int control_fd = -1;
static int status_fd = -1;
static pid_t child = -1;

static void fail(const char *what)
{
    fprintf(stderr, "dotnet-driver: %s: %s\n", what, errno ? strerror(errno) : "unexpected end of stream");
    exit(1);
}

// Moves exactly length bytes through fd, in either direction, across short transfers and interruptions.
// Returns -1 on an error or the end of the stream (errno 0 then).
static int transfer(int fd, void *buffer, size_t length, int writing)
{
    uint8_t *bytes = buffer;
    errno = 0;
    while (length > 0)
    {
        ssize_t n = writing ? write(fd, bytes, length) : read(fd, bytes, length);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        bytes += n;
        length -= (size_t)n;
    }
    return 0;
}

static void stop_child(void)
{
    if (child > 0)
    {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = -1;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dll = getenv("GOVEXEC_FUZZ_DLL");
    const char *target = getenv("GOVEXEC_FUZZ_TARGET");
    if (dll == NULL || target == NULL)
    {
        fprintf(stderr, "dotnet-driver: set GOVEXEC_FUZZ_DLL and GOVEXEC_FUZZ_TARGET\n");
        exit(1);
    }

    int shm_id = shmget(IPC_PRIVATE, MAP_SIZE + DATA_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0)
        fail("shmget");
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void *)-1)
        fail("shmat");

    int control[2], status[2];
    if (pipe(control) != 0 || pipe(status) != 0)
        fail("pipe");

    child = fork();
    if (child < 0)
        fail("fork");
    if (child == 0)
    {
        if (dup2(control[0], CONTROL_FD) < 0 || dup2(status[1], STATUS_FD) < 0)
            _exit(127);
        close(control[0]);
        close(control[1]);
        close(status[0]);
        close(status[1]);
        char id[32];
        snprintf(id, sizeof id, "%d", shm_id);
        setenv("__LIBFUZZER_SHM_ID", id, 1);
        setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
        setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);
        execlp("dotnet", "dotnet", dll, target, (char *)NULL);
        perror("dotnet-driver: exec dotnet");
        _exit(127);
    }

    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    signal(SIGPIPE, SIG_IGN);
    atexit(stop_child);

    int32_t ready;
    if (transfer(status_fd, &ready, sizeof ready, 0) != 0 || ready != 0)
        fail("the .NET process did not start");
    // Both sides are attached: the segment goes away with the last of them, even if the driver is killed.
    shmctl(shm_id, IPC_RMID, NULL);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > DATA_SIZE)
        return -1;

    memset(shared, 0, MAP_SIZE);
    memcpy(shared + MAP_SIZE, data, size);
    int32_t length = (int32_t)size;
    if (transfer(control_fd, &length, sizeof length, 1) != 0)
        fail("the .NET process stopped reading");

    int32_t status;
    if (transfer(status_fd, &status, sizeof status, 0) != 0)
    {
        fprintf(stderr, "dotnet-driver: the .NET process died on this input\n");
        abort();
    }

    memcpy(managed_coverage, shared, MAP_SIZE);
    if (status != 0)
    {
        fprintf(stderr, "dotnet-driver: an exception escaped the target (status %d)\n", status);
        abort();
    }
    return 0;
}
