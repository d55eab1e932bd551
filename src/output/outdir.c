/* The output directory: the only way files are created. Paths are relative,
 * made of sanitised components, and opened with openat()/O_NOFOLLOW below
 * the directory's descriptor, so a symlink planted in DIR or a name from a
 * packet cannot send a write elsewhere. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "callextract/outdir.h"
#include "util/text.h"

struct cx_outdir {
	int fd;
	char *path;
};

static int
dir_is_empty(int fd)
{
	int dup_fd = dup(fd);
	if (dup_fd < 0)
		return -1;
	DIR *d = fdopendir(dup_fd);
	if (!d) {
		close(dup_fd);
		return -1;
	}
	int empty = 1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

int
cx_outdir_open(struct cx_outdir **out, const char *path, int force, const char **why)
{
	*out = NULL;
	*why = NULL;
	if (mkdir(path, 0755) < 0 && errno != EEXIST) {
		*why = "cannot create the output directory";
		return -errno;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		*why = "cannot open the output directory";
		return -errno;
	}
	if (!force && dir_is_empty(fd) != 1) {
		close(fd);
		*why = "the output directory is not empty (use --force)";
		return -EEXIST;
	}
	struct cx_outdir *d = calloc(1, sizeof(*d));
	if (!d || !(d->path = strdup(path))) {
		free(d);
		close(fd);
		*why = "out of memory";
		return -ENOMEM;
	}
	d->fd = fd;
	*out = d;
	return 0;
}

void
cx_outdir_close(struct cx_outdir *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d->path);
	free(d);
}

const char *
cx_outdir_path(const struct cx_outdir *d)
{
	return d->path;
}

char *
cx_sanitize_name(const void *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *s = in;
	size_t cap = outsz ? outsz - 1 : 0, o = 0;
	if (cap > 100)
		cap = 100;
	for (size_t i = 0; i < len && o < cap; i++) {
		unsigned char c = s[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '.' || c == '_' || c == '-' || c == '+' || c == '@' || c == '=';
		if (o == 0 && c == '.')
			ok = 0; /* no hidden files, no "." or ".." */
		out[o++] = ok ? (char)c : '_';
	}
	if (o == 0 && cap > 0)
		out[o++] = '_';
	if (outsz)
		out[o] = '\0';
	return out;
}

/* A component is acceptable if it is non-empty, not "." or "..", and has no
 * slash (callers pass sanitised names, this is the last line of defence). */
static int
component_ok(const char *c, size_t n)
{
	if (n == 0 || n > 255)
		return 0;
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (c[i] == '\0' || c[i] == '/')
			return 0;
	return 1;
}

/* Walk relpath's directory components, creating them, and return a
 * descriptor for the last directory plus the leaf name. */
static int
walk(struct cx_outdir *d, const char *relpath, int create_leaf_dir, const char **leaf)
{
	if (!relpath || relpath[0] == '/' || relpath[0] == '\0') {
		errno = EINVAL;
		return -1;
	}
	int cur = dup(d->fd);
	if (cur < 0)
		return -1;
	const char *p = relpath;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!component_ok(p, n)) {
			close(cur);
			errno = EINVAL;
			return -1;
		}
		if (!slash && !create_leaf_dir) {
			*leaf = p;
			return cur;
		}
		char name[256];
		memcpy(name, p, n);
		name[n] = '\0';
		if (mkdirat(cur, name, 0755) < 0 && errno != EEXIST) {
			close(cur);
			return -1;
		}
		int next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		if (next < 0)
			return -1;
		cur = next;
		if (!slash) {
			*leaf = NULL;
			return cur;
		}
		p = slash + 1;
	}
}

int
cx_outdir_mkdir(struct cx_outdir *d, const char *relpath)
{
	const char *leaf;
	int fd = walk(d, relpath, 1, &leaf);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int
cx_outdir_openfd(struct cx_outdir *d, const char *relpath)
{
	const char *leaf;
	int dfd = walk(d, relpath, 0, &leaf);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, leaf, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

int
cx_outdir_reopenfd(struct cx_outdir *d, const char *relpath)
{
	const char *leaf;
	int dfd = walk(d, relpath, 0, &leaf);
	if (dfd < 0)
		return -1;
	int fd = openat(dfd, leaf, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	int saved = errno;
	close(dfd);
	errno = saved;
	return fd;
}

FILE *
cx_outdir_fopen(struct cx_outdir *d, const char *relpath, const char *mode)
{
	const char *leaf;
	int dfd = walk(d, relpath, 0, &leaf);
	if (dfd < 0)
		return NULL;
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC;
	flags |= (mode[0] == 'a') ? O_APPEND : O_TRUNC;
	int fd = openat(dfd, leaf, flags, 0644);
	int saved = errno;
	close(dfd);
	if (fd < 0) {
		errno = saved;
		return NULL;
	}
	FILE *f = fdopen(fd, mode[0] == 'a' ? "a" : "w");
	if (!f)
		close(fd);
	return f;
}

const char *
cx_outdir_join(const struct cx_outdir *d, const char *relpath, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", d->path, relpath);
	return buf;
}

int
cx_outdir_remove(struct cx_outdir *d, const char *relpath)
{
	const char *leaf;
	int dfd = walk(d, relpath, 0, &leaf);
	if (dfd < 0)
		return -1;
	int rc = unlinkat(dfd, leaf, 0);
	if (rc < 0 && (errno == EISDIR || errno == EPERM))
		rc = unlinkat(dfd, leaf, AT_REMOVEDIR); /* an empty folder */
	close(dfd);
	return rc;
}

int
cx_outdir_rename(struct cx_outdir *d, const char *from, const char *to)
{
	const char *lf, *lt;
	int a = walk(d, from, 0, &lf);
	if (a < 0)
		return -1;
	int b = walk(d, to, 0, &lt);
	if (b < 0) {
		close(a);
		return -1;
	}
	int rc = renameat(a, lf, b, lt);
	close(a);
	close(b);
	return rc;
}

/* ---- the manifest ---- */

struct names {
	char **v;
	size_t n, cap;
};

/* Regular files below dfd (relative names prefixed by pre), depth first. */
static int
collect(int dfd, const char *pre, struct names *out, int depth)
{
	if (depth > 16)
		return 0;
	int dup_fd = dup(dfd);
	if (dup_fd < 0)
		return -1;
	DIR *dir = fdopendir(dup_fd);
	if (!dir) {
		close(dup_fd);
		return -1;
	}
	rewinddir(dir); /* a dup shares the offset: the emptiness check read it */
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		size_t l = strlen(pre) + strlen(e->d_name) + 2;
		char *rel = malloc(l);
		if (!rel) {
			rc = -1;
			break;
		}
		snprintf(rel, l, "%s%s", pre, e->d_name);
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				rel[l - 2] = '/';
				rel[l - 1] = '\0';
				rc = collect(sub, rel, out, depth + 1);
				close(sub);
			}
			free(rel);
			continue;
		}
		if (!S_ISREG(st.st_mode) || (out->n == SIZE_MAX)) {
			free(rel);
			continue;
		}
		if (out->n == out->cap) {
			size_t nc = out->cap ? out->cap * 2 : 64;
			char **nv = realloc(out->v, nc * sizeof(*nv));
			if (!nv) {
				free(rel);
				rc = -1;
				break;
			}
			out->v = nv;
			out->cap = nc;
		}
		out->v[out->n++] = rel;
	}
	closedir(dir);
	return rc;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 of a file below DIR, as 64 hex digits. */
static int
hash_file(struct cx_outdir *d, const char *rel, char hex[65], unsigned char *buf, size_t bufsz)
{
	int fd = openat(d->fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 ? 0 : -1;
	while (rc == 0) {
		ssize_t k = read(fd, buf, bufsz);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			rc = -1;
		if (k <= 0)
			break;
		EVP_DigestUpdate(md, buf, (size_t)k);
	}
	unsigned char dg[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	if (rc == 0 && (EVP_DigestFinal_ex(md, dg, &dl) != 1 || dl != 32))
		rc = -1;
	if (rc == 0)
		cx_hex(dg, 32, hex);
	EVP_MD_CTX_free(md);
	close(fd);
	return rc;
}

int
cx_outdir_manifest(struct cx_outdir *d, const char *name)
{
	struct names all = { 0 };
	int rc = collect(d->fd, "", &all, 0);
	qsort(all.v, all.n, sizeof(*all.v), cmp_name);
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	FILE *f = rc == 0 ? cx_outdir_fopen(d, tmp, "w") : NULL;
	size_t bufsz = 1u << 20;
	unsigned char *buf = malloc(bufsz);
	if (!f || !buf)
		rc = -1;
	for (size_t i = 0; i < all.n; i++) {
		const char *rel = all.v[i];
		if (rc == 0 && strcmp(rel, name) && strcmp(rel, tmp)) {
			char hex[65];
			if (hash_file(d, rel, hex, buf, bufsz) < 0) {
				rc = -1;
			} else if (strpbrk(rel, "\\\n")) {
				/* sha256sum's form for such a name (never made by
				 * callextract: names are sanitised) */
				fprintf(f, "\\%s  ", hex);
				for (const char *p = rel; *p; p++)
					fputs(*p == '\\' ? "\\\\" : *p == '\n' ? "\\n" : (char[]){ *p, 0 }, f);
				fputc('\n', f);
			} else {
				fprintf(f, "%s  %s\n", hex, rel);
			}
		}
		free(all.v[i]);
	}
	free(all.v);
	free(buf);
	if (f) {
		if (ferror(f))
			rc = -1;
		if (fclose(f) != 0)
			rc = -1;
		if (rc == 0 && cx_outdir_rename(d, tmp, name) < 0)
			rc = -1;
		if (rc < 0)
			cx_outdir_remove(d, tmp);
	}
	return rc;
}
