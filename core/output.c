/* output.c — every file the library writes goes through here (and the
 * one way readers open a file).
 *
 * What is at the path decides how it is written:
 *   - nothing, or a regular file: the data go to an unnamed temporary file
 *     (O_TMPFILE) in the target's folder, are flushed to disk (fsync) and
 *     linked into place at commit, then renamed over the target: readers see
 *     the old file or the whole new one, and a killed process leaves nothing
 *     behind. Where O_TMPFILE is not supported, a named PATH.tmp.PID stands
 *     in (removed on every failure path, but not after SIGKILL);
 *   - a symlink: followed, its final target is written as above; the link
 *     stays a link;
 *   - a directory: refused;
 *   - anything else (a character device such as /dev/null or /dev/stdout, a
 *     FIFO, a socket), and the file our stdout or stderr is redirected to:
 *     written directly, as a shell redirection would; never replaced.
 */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The state in tmp: a mode letter, then the temporary file's name. */
enum { MODE_DIRECT = 'd', MODE_UNNAMED = 'u', MODE_NAMED = 'n' };

/* out (GKD_PATH_LEN bytes) = the file a write to path lands in: path with
 * every symlink followed, a dangling one included. */
static int resolve(char *out, const char *path, char *msg) {
    char cur[GKD_PATH_LEN], link[GKD_PATH_LEN];
    if (strlen(path) >= sizeof cur) {
        gkd_msg(msg, "%.200s...: path too long", path);
        return GNNKD_EINVAL;
    }
    strcpy(cur, path);
    for (int hops = 0; hops < 40; hops++) {
        struct stat st;
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) {
            strcpy(out, cur);
            return GNNKD_OK;
        }
        ssize_t len = readlink(cur, link, sizeof link - 1);
        if (len < 0) break;
        link[len] = '\0';
        if (link[0] == '/') {
            strcpy(cur, link);
        } else { // relative to the link's folder
            char *slash = strrchr(cur, '/');
            size_t keep = slash ? (size_t)(slash - cur) + 1 : 0;
            if (keep + (size_t)len >= sizeof cur) break;
            memcpy(cur + keep, link, (size_t)len + 1);
        }
    }
    gkd_msg(msg, "%s: cannot follow the symbolic link", path);
    return GNNKD_EIO;
}

/* 1 if st is the file our stdout or stderr writes to (/dev/stdout redirected
 * to a file): replacing it would cut the stream off from its reader. */
static int std_stream(const struct stat *st) {
    for (int fd = 1; fd <= 2; fd++) {
        struct stat s;
        if (fstat(fd, &s) == 0 && s.st_dev == st->st_dev && s.st_ino == st->st_ino) return fd;
    }
    return 0;
}

gnnkd_status gnnkd_output_check(const char *path, char *msg) {
    GKD_CLEAR_MSG;
    if (path == NULL || path[0] == '\0') {
        gkd_msg(msg, "an output path is empty");
        return GNNKD_EINVAL;
    }
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            gkd_msg(msg, "%s: is a directory, not a file to write", path);
            return GNNKD_EINVAL;
        }
        return GNNKD_OK; // written directly, as a shell redirection would
    }
    char target[GKD_PATH_LEN];
    int rc = resolve(target, path, msg);
    if (rc != GNNKD_OK) return rc;
    // a regular file is replaced in its folder: that folder must be writable
    char dir[GKD_PATH_LEN];
    strcpy(dir, target);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) strcpy(dir, ".");
    else if (slash == dir) dir[1] = '\0';
    else *slash = '\0';
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        gkd_msg(msg, "%s: cannot write: folder %s does not exist", path, dir);
        return GNNKD_EIO;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        gkd_msg(msg, "%s: cannot write in folder %s: %s", path, dir, strerror(errno));
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

FILE *gkd_open_tmp(const char *path, char *tmp, size_t tmplen, char *msg) {
    char target[GKD_PATH_LEN];
    if (path == NULL || path[0] == '\0') {
        gkd_msg(msg, "an output path is empty");
        return NULL;
    }
    // the kernel follows the links (/dev/stdout -> /proc/self/fd/1 -> a pipe)
    struct stat st;
    if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || std_stream(&st))) {
        if (S_ISDIR(st.st_mode)) {
            gkd_msg(msg, "%s: is a directory, not a file to write", path);
            return NULL;
        }
        // our own stdout or stderr: write at its offset, after what it holds
        int fd = std_stream(&st);
        if (fd) fflush(fd == 1 ? stdout : stderr);
        FILE *f = fd ? fdopen(dup(fd), "wb") : fopen(path, "wb");
        if (f == NULL) gkd_msg(msg, "%s: cannot write: %s", path, strerror(errno));
        else snprintf(tmp, tmplen, "%c", MODE_DIRECT);
        return f;
    }
    if (resolve(target, path, msg) != GNNKD_OK) return NULL;
    int len = snprintf(tmp, tmplen, "%c%s.tmp.%ld", MODE_NAMED, target, (long)getpid());
    if (len < 0 || (size_t)len >= tmplen) {
        gkd_msg(msg, "%s: path too long", path);
        return NULL;
    }
#ifdef O_TMPFILE
    // an unnamed file in the target's folder (rename needs the same file system)
    if (access("/proc/self/fd", X_OK) == 0) {
        char dir[GKD_PATH_LEN];
        strcpy(dir, target);
        char *slash = strrchr(dir, '/');
        if (slash == NULL) strcpy(dir, ".");
        else if (slash == dir) dir[1] = '\0';
        else *slash = '\0';
        int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        if (fd >= 0) {
            FILE *f = fdopen(fd, "wb");
            if (f != NULL) {
                tmp[0] = MODE_UNNAMED;
                return f;
            }
            close(fd);
        } else if (errno == ENOENT || errno == EACCES || errno == EROFS || errno == ENOTDIR) {
            gkd_msg(msg, "%s: cannot write: %s", path, strerror(errno));
            return NULL;
        } // else: the file system has no O_TMPFILE; use a named temporary
    }
#endif
    int fd = open(tmp + 1, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (f == NULL) {
        gkd_msg(msg, "%s: cannot write: %s", path, strerror(errno));
        if (fd >= 0) close(fd), unlink(tmp + 1);
    }
    return f;
}

int gkd_commit_file(FILE *f, const char *tmp, const char *path, int ok, char *msg) {
    const char mode = tmp[0], *name = tmp + 1;
    int err = 0;
    if (ok && (fflush(f) != 0 || ferror(f))) err = errno ? errno : EIO;
    // the data reach the disk before the name points at them
    if (ok && !err && mode != MODE_DIRECT && fsync(fileno(f)) != 0) err = errno;
    if (ok && !err && mode == MODE_UNNAMED) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fileno(f));
        if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0) {
            if (errno == EEXIST) { // a stale temporary of a dead process with our pid
                unlink(name);
                if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) != 0) err = errno;
            } else {
                err = errno;
            }
        }
    }
    if (fclose(f) != 0 && ok && !err) err = errno ? errno : EIO;
    if (mode == MODE_DIRECT) {
        if (ok && err) {
            gkd_msg(msg, "%s: write failed: %s", path, strerror(err));
            return GNNKD_EIO;
        }
        return GNNKD_OK;
    }
    int linked = mode == MODE_NAMED || (ok && !err);
    if (!ok || err) {
        if (linked) unlink(name);
        if (!ok) return GNNKD_OK;
        gkd_msg(msg, "%s: write failed: %s", path, strerror(err));
        return GNNKD_EIO;
    }
    // name minus ".tmp.PID" is the target, symlinks already followed
    char target[GKD_PATH_LEN];
    size_t n = strlen(name) - (size_t)snprintf(NULL, 0, ".tmp.%ld", (long)getpid());
    memcpy(target, name, n);
    target[n] = '\0';
    if (rename(name, target) != 0) {
        gkd_msg(msg, "%s: cannot rename %s: %s", path, name, strerror(errno));
        unlink(name);
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

_Static_assert(GNNKD_OUTPUT_STATE_LEN >= GKD_PATH_LEN + 32, "an output's state holds a path");

gnnkd_status gnnkd_output_open(FILE **file, char *state, const char *path, char *msg) {
    GKD_CLEAR_MSG;
    *file = gkd_open_tmp(path, state, GNNKD_OUTPUT_STATE_LEN, msg);
    if (*file != NULL) return GNNKD_OK;
    struct stat st;
    return path == NULL || path[0] == '\0' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) ? GNNKD_EINVAL
                                                                                           : GNNKD_EIO;
}

gnnkd_status gnnkd_output_close(FILE *file, const char *state, const char *path, int keep, char *msg) {
    GKD_CLEAR_MSG;
    return gkd_commit_file(file, state, path, keep, msg);
}

FILE *gkd_open_regular(const char *path, int64_t *size, int *status, char *msg) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    *status = GNNKD_EIO;
    if (fd < 0) {
        gkd_msg(msg, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        gkd_msg(msg, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        gkd_msg(msg, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    *size = (int64_t)st.st_size;
    *status = GNNKD_OK;
    return f;
}
