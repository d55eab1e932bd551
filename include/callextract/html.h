/* The HTML report: DIR/index.html (the capture, a timeline of every
 * conversation, findings, credentials, DNS, ICMP, FTP and the calls
 * table) and calls/NNNN-.../index.html per call (ladder, players,
 * waveform and spectrogram pictures, per-stream statistics and plots,
 * SDP, digest exchanges, files), with shared CSS/JS in DIR/assets/.
 *
 * One model, three views: the pages are made from the very values
 * report.json is written from. The report writer hands each value to
 * cx_html_tap (struct cx_jsonw's tap) as it writes it; the HTML module
 * keeps what a call page needs in spill files of its own (by dialog
 * index, as the report's own spills do) and the overview's sections in a
 * temporary file, so memory stays flat in the number of calls; at the end
 * cx_html_finish writes the pages. The WAVs are read back with libsndfile
 * once the writers have closed them (the report is written after the
 * writers' queue drained) for the waveform and spectrogram PNGs (FFTW3,
 * libpng). Every packet-derived value reaches the page only as JSON in a
 * <script type="application/json"> block (escaped for it, see
 * cx_html_json_escape) and is put into the page by assets/cx.js with
 * textContent / setAttribute, never as markup; a Content-Security-Policy
 * forbids remote loads, inline scripts and event handlers. */
#ifndef CX_HTML_H
#define CX_HTML_H

#include <stddef.h>
#include <stdio.h>

struct cx_ctx;
struct cx_html;

/* Owned: cx_html_free(). NULL on error (no pages then). */
struct cx_html *cx_html_new(struct cx_ctx *ctx);
void cx_html_free(struct cx_html *h);
/* struct cx_jsonw's tap (arg: the struct cx_html). */
void cx_html_tap(void *arg, const char *path, const char *text, size_t len);
/* Writes assets/, every call page and index.html. 0, or -1 (logged). */
int cx_html_finish(struct cx_html *h);

/* JSON text made safe inside <script type="application/json">: '<', '>'
 * and '&' as \u003c \u003e \u0026 (no "</script>", no "<!--"),
 * U+2028/U+2029 as \u2028/\u2029, and a byte that is not UTF-8 as the
 * visible text "\xNN" (written "\\xNN" in the JSON). */
void cx_html_json_escape(FILE *f, const char *text, size_t len);

/* The FFT state of the pictures (pictures.c): its buffers and FFTW plan.
 * FFTW's planner is not thread-safe, so each thread writing pictures has
 * its own, made and freed by the one thread that starts them all. The
 * caller owns it (cx_pictures_free). NULL when out of memory. */
struct cx_pictures;
struct cx_pictures *cx_pictures_new(void);
void cx_pictures_free(struct cx_pictures *pic);

/* The pictures of one WAV: a waveform and a spectrogram PNG, width
 * pixels for the whole file (the caller puts them on the page's time
 * axis). 0, or -1 (errors in why). */
int cx_pictures_write(struct cx_ctx *ctx, struct cx_pictures *pic, const char *wav, const char *wave_png,
		      const char *spec_png, int *width, char *why, size_t whyn);

#endif
