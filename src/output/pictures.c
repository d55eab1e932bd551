/* Waveform and spectrogram PNGs of a call's WAV (see html.h). The WAV is
 * read back with libsndfile after the writers closed it; the spectrogram
 * is a short-time Fourier transform through FFTW3 (r2c, Hann window), the
 * images are written with libpng. Deterministic: FFTW_ESTIMATE plans
 * (no timing), fixed sizes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fftw3.h>
#include <png.h>
#include <sndfile.h>
#include "callextract/ctx.h"
#include "callextract/html.h"
#include "callextract/outdir.h"

#define PX_PER_S 50      /* image columns per second of audio */
#define MAX_W 4000       /* longer files get fewer columns per second */
#define WAVE_H 64
#define SPEC_H 128       /* frequency rows, 0 to Nyquist */
#define NFFT 256
#define HEAT_LEVELS 1024 /* more than the 3 x 256 colours heat() can give */
#define MAX_SAMPLES (8000LL * 3600 * 4) /* 4 h at 8 kHz read at most */

static int
write_png(struct cx_ctx *ctx, const char *path, const uint8_t *rgb, int w, int h, char *why, size_t whyn)
{
	FILE *f = cx_outdir_fopen(ctx->out, path, "wb");
	if (!f) {
		snprintf(why, whyn, "cannot create %s", path);
		return -1;
	}
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png ? png_create_info_struct(png) : NULL;
	if (!png || !info || setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		fclose(f);
		snprintf(why, whyn, "libpng failed on %s", path);
		return -1;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	/* Small images written by the thousand: libpng's default tries every
	 * row filter and deflates at level 6, which cost more than the FFT.
	 * One filter (Up: rows repeat in both pictures) and level 1 keep the
	 * files within a few percent of the default size at a fraction of the
	 * time. */
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
	png_set_compression_level(png, 1);
	png_write_info(png, info);
	for (int y = 0; y < h; y++)
		png_write_row(png, (png_const_bytep)(rgb + (size_t)y * w * 3));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	if (fclose(f) != 0) {
		snprintf(why, whyn, "cannot write %s", path);
		return -1;
	}
	return 0;
}

/* dark blue -> red -> yellow -> white over 0..1 */
static void
heat(double v, uint8_t *p)
{
	v = v < 0 ? 0 : v > 1 ? 1 : v;
	double r = v * 3, g = v * 3 - 1, b = v < 0.33 ? 0.25 + v * 1.5 : v * 3 - 2;
	p[0] = (uint8_t)(255 * (r > 1 ? 1 : r));
	p[1] = (uint8_t)(255 * (g < 0 ? 0 : g > 1 ? 1 : g));
	p[2] = (uint8_t)(255 * (b < 0 ? 0 : b > 1 ? 1 : b));
}

struct cx_pictures {
	double *in;
	fftw_complex *out;
	fftw_plan plan;
	double win[NFFT], wsum;
	uint8_t heat[HEAT_LEVELS][3]; /* heat() of i / (HEAT_LEVELS - 1) */
};

struct cx_pictures *
cx_pictures_new(void)
{
	struct cx_pictures *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->in = fftw_malloc(sizeof(double) * NFFT);
	p->out = fftw_malloc(sizeof(fftw_complex) * (NFFT / 2 + 1));
	p->plan = p->in && p->out ? fftw_plan_dft_r2c_1d(NFFT, p->in, p->out, FFTW_ESTIMATE) : NULL;
	if (!p->plan) {
		cx_pictures_free(p);
		return NULL;
	}
	for (int i = 0; i < NFFT; i++) {
		p->win[i] = 0.5 - 0.5 * cos(2 * M_PI * i / (NFFT - 1));
		p->wsum += p->win[i];
	}
	for (int i = 0; i < HEAT_LEVELS; i++)
		heat((double)i / (HEAT_LEVELS - 1), p->heat[i]);
	return p;
}

void
cx_pictures_free(struct cx_pictures *p)
{
	if (!p)
		return;
	if (p->plan)
		fftw_destroy_plan(p->plan);
	fftw_free(p->in);
	fftw_free(p->out);
	free(p);
}

int
cx_pictures_write(struct cx_ctx *ctx, struct cx_pictures *pic, const char *wav, const char *wave_png, const char *spec_png, int *width,
		  char *why, size_t whyn)
{
	int fd = cx_outdir_reopenfd(ctx->out, wav);
	if (fd < 0) {
		snprintf(why, whyn, "cannot open %s", wav);
		return -1;
	}
	SF_INFO si;
	memset(&si, 0, sizeof(si));
	SNDFILE *sf = sf_open_fd(fd, SFM_READ, &si, 1);
	if (!sf) {
		close(fd);
		snprintf(why, whyn, "libsndfile: %s", sf_strerror(NULL));
		return -1;
	}
	sf_count_t n = si.frames > MAX_SAMPLES ? MAX_SAMPLES : si.frames;
	int ch = si.channels > 0 ? si.channels : 1;
	float *x = n > 0 ? malloc((size_t)n * sizeof(float)) : NULL, *buf = malloc(4096 * sizeof(float) * (size_t)ch);
	sf_count_t got = 0;
	while (x && buf && got < n) {
		sf_count_t want = n - got < 4096 ? n - got : 4096;
		sf_count_t r = sf_readf_float(sf, buf, want);
		if (r <= 0)
			break;
		for (sf_count_t i = 0; i < r; i++)
			x[got + i] = buf[i * ch]; /* first channel */
		got += r;
	}
	sf_close(sf);
	free(buf);
	if (got <= 0 || si.samplerate <= 0) {
		free(x);
		snprintf(why, whyn, "no samples in %s", wav);
		return -1;
	}
	double secs = (double)got / si.samplerate;
	int w = (int)ceil(secs * PX_PER_S);
	if (w > MAX_W)
		w = MAX_W;
	if (w < 1)
		w = 1;
	*width = w;
	int rc = 0;
	/* waveform: min and max of each column's samples */
	uint8_t *img = calloc((size_t)w * (WAVE_H > SPEC_H ? WAVE_H : SPEC_H) * 3, 1);
	if (!img) {
		free(x);
		snprintf(why, whyn, "out of memory");
		return -1;
	}
	memset(img, 255, (size_t)w * WAVE_H * 3);
	for (int c = 0; c < w; c++) {
		sf_count_t a = (sf_count_t)((double)c * got / w), b = (sf_count_t)((double)(c + 1) * got / w);
		float lo = 0, hi = 0;
		for (sf_count_t i = a; i < b && i < got; i++) {
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
		int y0 = (int)((1 - hi) * (WAVE_H - 1) / 2), y1 = (int)((1 - lo) * (WAVE_H - 1) / 2);
		for (int y = y0 < 0 ? 0 : y0; y <= y1 && y < WAVE_H; y++) {
			uint8_t *p = img + ((size_t)y * w + c) * 3;
			p[0] = 0x1f, p[1] = 0x5f, p[2] = 0xa8;
		}
		img[((size_t)(WAVE_H / 2) * w + c) * 3 + 0] = 0x1f; /* the zero line */
		img[((size_t)(WAVE_H / 2) * w + c) * 3 + 1] = 0x5f;
		img[((size_t)(WAVE_H / 2) * w + c) * 3 + 2] = 0xa8;
	}
	if (write_png(ctx, wave_png, img, w, WAVE_H, why, whyn) < 0)
		rc = -1;
	/* spectrogram: one Hann-windowed FFT centred on each column, power
	 * in dB over an 80 dB range below full scale */
	if (rc == 0) {
		double *in = pic->in, *win = pic->win, scale = 2 / pic->wsum;
		fftw_complex *out = pic->out;
		for (int c = 0; c < w; c++) {
			sf_count_t mid = (sf_count_t)(((double)c + 0.5) * got / w);
			for (int i = 0; i < NFFT; i++) {
				sf_count_t k = mid - NFFT / 2 + i;
				in[i] = (k >= 0 && k < got ? x[k] : 0) * win[i];
			}
			fftw_execute(pic->plan);
			for (int y = 0; y < SPEC_H; y++) {
				int bin = (int)((double)(SPEC_H - 1 - y) * (NFFT / 2) / (SPEC_H - 1));
				double re = out[bin][0] * scale, im = out[bin][1] * scale;
				/* 10 log10 of the power: the same dB as 20 log10 of
				 * the magnitude, without the square root; a float
				 * log and a colour table, the picture has 1024
				 * levels over its 80 dB */
				float db = 10 * log10f((float)(re * re + im * im) + 1e-24f);
				float v = (db + 80) / 80 * (HEAT_LEVELS - 1) + 0.5f;
				int lvl = v < 0 ? 0 : v >= HEAT_LEVELS - 1 ? HEAT_LEVELS - 1 : (int)v;
				memcpy(img + ((size_t)y * w + c) * 3, pic->heat[lvl], 3);
			}
		}
		if (write_png(ctx, spec_png, img, w, SPEC_H, why, whyn) < 0)
			rc = -1;
	}
	free(img);
	free(x);
	return rc;
}
