/*
 * avdecode: an independent reference decoder for the codec tests. It reads RTP
 * payloads (one a line, in the order to decode) and writes the 16-bit PCM that
 * libavcodec makes of them. It uses no callextract code: what the tests check
 * is callextract's depacketising, ordering, gap filling and resampling against
 * this plain "decode these payloads" loop.
 *
 * Usage: avdecode CODEC [-c CHANNELS] [-r RATE] [-R OUTRATE] [-m ILBCMS]
 *                 [-b] [-o OUT.wav|-] [--raw] < payloads.txt
 *   Input lines: "HEX" or "SEQ<TAB>HEX" (tshark -T fields -e rtp.seq
 *   -e rtp.payload, sorted by the caller); colons in HEX are ignored; a line
 *   "reset" closes and reopens the decoder (what a gap or a codec switch does
 *   to decoder state); empty payloads and '#' lines are skipped.
 *   -c  channels to decode to (Opus: 1 or 2 as sprop-stereo says; L16 from rtpmap)
 *   -r  sample rate of the codec (L16 and Speex only: the rtpmap clock)
 *   -R  resample the output with libswresample to OUTRATE (default: native rate)
 *   -b  AMR/AMR-WB payloads are bandwidth-efficient (RFC 4867 default);
 *       without -b they are octet-aligned (fmtp octet-align=1)
 *   -m  iLBC frame length 20 or 30 ms (fmtp mode); default from payload size
 *   --raw  write raw interleaved s16 native-endian instead of a WAV
 *   Prints "frames N samples N rate N channels N errors N" on stderr.
 *
 * CODEC names -> libavcodec decoder (avcodec_find_decoder_by_name), and how the
 * RTP payload is cut into the packets handed to it:
 *   pcmu -> pcm_mulaw, pcma -> pcm_alaw     whole payload, 8 kHz
 *   g722 -> g722 (adpcm_g722)                whole payload; RTP clock 8 kHz,
 *                                             output 16 kHz (RFC 3551 4.5.2)
 *   g726-16/24/32/40 -> g726le               RFC 3551 4.5.4 packing (first
 *                                             code word in the low bits);
 *                                             bits_per_coded_sample = kbit/8
 *   aal2-g726-16/24/32/40 -> g726            ITU/AAL2 packing (first code word
 *                                             in the high bits)
 *   gsm -> gsm (native, not libgsm)          33-byte frames (RFC 3551 4.5.8),
 *                                             one packet per frame
 *   g729 -> g729                             10-byte frames; a 2-byte Annex B
 *                                             SID frame gives 80 samples of
 *                                             silence (no comfort noise)
 *   g723 -> g723_1                           frames of 24/20/4/1 bytes chosen
 *                                             by the low 2 bits of their first
 *                                             byte (G.723.1 table)
 *   ilbc -> ilbc                             38-byte (20 ms) or 50-byte (30 ms)
 *                                             frames; block_align selects mode
 *   opus -> opus (native)                    one Opus packet per payload (RFC
 *                                             7587), 48 kHz, -c channels, no
 *                                             extradata
 *   amr -> amrnb, amr-wb -> amrwb            RFC 4867 section 4: the payload is
 *                                             cut into frames and each rebuilt as
 *                                             a storage-format frame (ToC byte
 *                                             FT<<3|Q<<2, then the speech bits
 *                                             MSB first, zero-padded to a byte),
 *                                             one packet per frame. Octet-
 *                                             aligned: CMR byte, ToC bytes
 *                                             while F=1, frames byte-aligned.
 *                                             Bandwidth-efficient: 4-bit CMR,
 *                                             6-bit ToC entries (F FT Q), the
 *                                             frames' bits back to back; read
 *                                             bit by bit here. NO_DATA (FT 15)
 *                                             and SID frames (and lost-speech
 *                                             FT 14 of AMR-WB) are passed as
 *                                             silence of one frame (libavcodec
 *                                             has no DTX comfort noise).
 *   l16 -> pcm_s16be                         whole payload; -r rate, -c channels
 *   speex -> speex (native)                  whole payload; -r 8000/16000/32000
 * Decoded frames (s16, s16p, flt, fltp...) are converted to interleaved s16
 * with libswresample at the same rate (or -R), so float output is rounded the
 * way swr rounds it.
 */
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cut { CUT_WHOLE, CUT_FIXED, CUT_G729, CUT_G723, CUT_ILBC, CUT_AMR };

struct codec {
    const char *name;     /* our name (lower case) */
    const char *decoder;  /* libavcodec decoder name */
    enum cut cut;
    int frame_bytes;      /* CUT_FIXED */
    int rate;             /* output rate; 0 = from -r */
    int bits;             /* G.726 bits per code word */
    int wb;               /* AMR-WB */
};

static const struct codec codecs[] = {
    {"pcmu", "pcm_mulaw", CUT_WHOLE, 0, 8000, 0, 0},
    {"pcma", "pcm_alaw", CUT_WHOLE, 0, 8000, 0, 0},
    {"g722", "g722", CUT_WHOLE, 0, 16000, 0, 0},
    {"g726-16", "g726le", CUT_WHOLE, 0, 8000, 2, 0},
    {"g726-24", "g726le", CUT_WHOLE, 0, 8000, 3, 0},
    {"g726-32", "g726le", CUT_WHOLE, 0, 8000, 4, 0},
    {"g726-40", "g726le", CUT_WHOLE, 0, 8000, 5, 0},
    {"aal2-g726-16", "g726", CUT_WHOLE, 0, 8000, 2, 0},
    {"aal2-g726-24", "g726", CUT_WHOLE, 0, 8000, 3, 0},
    {"aal2-g726-32", "g726", CUT_WHOLE, 0, 8000, 4, 0},
    {"aal2-g726-40", "g726", CUT_WHOLE, 0, 8000, 5, 0},
    {"gsm", "gsm", CUT_FIXED, 33, 8000, 0, 0},
    {"g729", "g729", CUT_G729, 10, 8000, 0, 0},
    {"g723", "g723_1", CUT_G723, 0, 8000, 0, 0},
    {"ilbc", "ilbc", CUT_ILBC, 0, 8000, 0, 0},
    {"opus", "opus", CUT_WHOLE, 0, 48000, 0, 0},
    {"amr", "amrnb", CUT_AMR, 0, 8000, 0, 0},
    {"amr-wb", "amrwb", CUT_AMR, 0, 16000, 0, 1},
    {"l16", "pcm_s16be", CUT_WHOLE, 0, 0, 0, 0},
    {"speex", "speex", CUT_WHOLE, 0, 0, 0, 0},
};

/* Speech bits per frame type, RFC 4867 / 3GPP TS 26.101 (NB) and TS 26.201
 * (WB); index = FT. SID is FT 8 (NB) / FT 9 (WB); -1: reserved. */
static const int amrnb_bits[16] = {95, 103, 118, 134, 148, 159, 204, 244, 39,
                                   -1, -1, -1, -1, -1, -1, 0};
static const int amrwb_bits[16] = {132, 177, 253, 285, 317, 365, 397, 461, 477,
                                   40, -1, -1, -1, -1, 0, 0};

struct out {
    int16_t *s;
    size_t n, cap;        /* in samples (all channels) */
};

struct dec {
    const struct codec *c;
    const AVCodec *avc;
    AVCodecContext *ctx;
    SwrContext *swr;
    AVPacket *pkt;
    AVFrame *frm;
    int channels, rate, outrate, ilbc_ms, bwe;
    long frames, errors;
    struct out out;
};

static void die(const char *what)
{
    fprintf(stderr, "avdecode: %s\n", what);
    exit(2);
}

static void out_put(struct out *o, const int16_t *s, size_t n)
{
    if (o->n + n > o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 65536;
        while (cap < o->n + n)
            cap *= 2;
        o->s = realloc(o->s, cap * sizeof(*o->s));
        if (!o->s)
            die("out of memory");
        o->cap = cap;
    }
    if (s)
        memcpy(o->s + o->n, s, n * sizeof(*s));
    else
        memset(o->s + o->n, 0, n * sizeof(*s));
    o->n += n;
}

static void dec_close(struct dec *d)
{
    avcodec_free_context(&d->ctx);
    swr_free(&d->swr);
}

static void dec_open(struct dec *d)
{
    d->ctx = avcodec_alloc_context3(d->avc);
    if (!d->ctx)
        die("avcodec_alloc_context3");
    d->ctx->sample_rate = d->rate;
    av_channel_layout_default(&d->ctx->ch_layout, d->channels);
    if (d->c->bits) {
        d->ctx->bits_per_coded_sample = d->c->bits;
        d->ctx->bit_rate = d->c->bits * 8000;
    }
    if (d->c->cut == CUT_FIXED || d->c->cut == CUT_G729)
        d->ctx->block_align = d->c->frame_bytes;
    if (d->c->cut == CUT_ILBC)
        d->ctx->block_align = d->ilbc_ms == 20 ? 38 : 50;
    if (avcodec_open2(d->ctx, d->avc, NULL) < 0)
        die("avcodec_open2 failed");
}

/* Converts and appends what the decoder has ready. */
static void drain(struct dec *d)
{
    while (avcodec_receive_frame(d->ctx, d->frm) == 0) {
        AVFrame *f = d->frm;
        int ch = f->ch_layout.nb_channels;
        if (!d->swr) {
            AVChannelLayout lay;
            av_channel_layout_default(&lay, ch);
            if (swr_alloc_set_opts2(&d->swr, &lay, AV_SAMPLE_FMT_S16, d->outrate,
                                    &f->ch_layout, f->format, f->sample_rate, 0, NULL) < 0 ||
                swr_init(d->swr) < 0)
                die("swr setup failed");
            if (ch != d->channels)
                die("decoder gives another channel count than -c");
        }
        int max = swr_get_out_samples(d->swr, f->nb_samples);
        int16_t *buf = malloc((size_t)max * ch * sizeof(int16_t) + 16);
        uint8_t *o[1] = {(uint8_t *)buf};
        int got = swr_convert(d->swr, o, max, (const uint8_t **)f->extended_data, f->nb_samples);
        if (got < 0)
            die("swr_convert failed");
        out_put(&d->out, buf, (size_t)got * ch);
        free(buf);
        av_frame_unref(f);
    }
}

/* Silence of n samples per channel at the codec rate, through the resampler
 * when one is asked for (so timing stays right). */
static void silence(struct dec *d, int n)
{
    if (d->outrate == d->rate) {
        out_put(&d->out, NULL, (size_t)n * d->channels);
        return;
    }
    /* at another output rate: the same duration, rounded per call */
    out_put(&d->out, NULL, (size_t)((int64_t)n * d->outrate / d->rate) * d->channels);
}

static void decode_packet(struct dec *d, const uint8_t *p, int len)
{
    if (av_new_packet(d->pkt, len) < 0)
        die("av_new_packet");
    memcpy(d->pkt->data, p, len);
    d->frames++;
    if (avcodec_send_packet(d->ctx, d->pkt) < 0)
        d->errors++;
    av_packet_unref(d->pkt);
    drain(d);
}

/* Bit reader for bandwidth-efficient AMR, MSB first. */
struct bits {
    const uint8_t *p;
    size_t nbits, pos;
};

static int getbits(struct bits *b, int n, unsigned *v)
{
    if (b->pos + (size_t)n > b->nbits)
        return -1;
    *v = 0;
    for (int i = 0; i < n; i++, b->pos++)
        *v = (*v << 1) | ((b->p[b->pos >> 3] >> (7 - (b->pos & 7))) & 1);
    return 0;
}

static void amr_payload(struct dec *d, const uint8_t *p, int len)
{
    const int *tab = d->c->wb ? amrwb_bits : amrnb_bits;
    const int fsamp = d->c->wb ? 320 : 160;
    struct bits b = {p, (size_t)len * 8, 0};
    unsigned v, ft[64], q[64];
    int n = 0;

    /* CMR: 4 bits, or a whole byte when octet-aligned */
    if (getbits(&b, d->bwe ? 4 : 8, &v) < 0)
        goto bad;
    do {                                    /* ToC entries while F = 1 */
        if (n == 64 || getbits(&b, 1, &v) < 0)
            goto bad;
        unsigned f = v;
        if (getbits(&b, 4, &ft[n]) < 0 || getbits(&b, 1, &q[n]) < 0)
            goto bad;
        if (!d->bwe && getbits(&b, 2, &v) < 0)  /* ToC padding */
            goto bad;
        n++;
        if (!f)
            break;
    } while (1);
    for (int i = 0; i < n; i++) {
        int nb = tab[ft[i]];
        if (nb < 0)
            goto bad;
        if (nb == 0 || (d->c->wb ? ft[i] == 9 : ft[i] == 8)) {
            /* NO_DATA, SPEECH_LOST or SID: skip its bits, one frame of silence */
            if (nb && (size_t)b.pos + nb > b.nbits)
                goto bad;
            b.pos += nb;
            if (!d->bwe)
                b.pos = (b.pos + 7) & ~(size_t)7;
            silence(d, fsamp);
            continue;
        }
        uint8_t sf[1 + 64];
        memset(sf, 0, sizeof(sf));
        sf[0] = (uint8_t)(ft[i] << 3 | q[i] << 2);
        for (int k = 0; k < nb; k++) {
            if (getbits(&b, 1, &v) < 0)
                goto bad;
            sf[1 + k / 8] |= (uint8_t)(v << (7 - k % 8));
        }
        if (!d->bwe)
            b.pos = (b.pos + 7) & ~(size_t)7;
        decode_packet(d, sf, 1 + (nb + 7) / 8);
    }
    return;
bad:
    d->errors++;
}

static void payload(struct dec *d, const uint8_t *p, int len)
{
    int i, fl;
    switch (d->c->cut) {
    case CUT_WHOLE:
        decode_packet(d, p, len);
        break;
    case CUT_FIXED:
        for (i = 0; i + d->c->frame_bytes <= len; i += d->c->frame_bytes)
            decode_packet(d, p + i, d->c->frame_bytes);
        if (i != len)
            d->errors++;
        break;
    case CUT_G729:
        for (i = 0; i + 10 <= len; i += 10)
            decode_packet(d, p + i, 10);
        if (len - i == 2)
            silence(d, 80);                 /* Annex B SID */
        else if (i != len)
            d->errors++;
        break;
    case CUT_G723:
        for (i = 0; i < len; i += fl) {
            static const int sz[4] = {24, 20, 4, 1};
            fl = sz[p[i] & 3];
            if (i + fl > len) {
                d->errors++;
                break;
            }
            if (fl >= 20)
                decode_packet(d, p + i, fl);
            else
                silence(d, 240);            /* SID / untransmitted */
        }
        break;
    case CUT_ILBC:
        fl = d->ctx->block_align;
        for (i = 0; i + fl <= len; i += fl)
            decode_packet(d, p + i, fl);
        if (i != len)
            d->errors++;
        break;
    case CUT_AMR:
        amr_payload(d, p, len);
        break;
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void put16le(FILE *f, unsigned v)
{
    fputc(v & 0xff, f);
    fputc((v >> 8) & 0xff, f);
}

static void put32le(FILE *f, uint32_t v)
{
    put16le(f, v & 0xffff);
    put16le(f, v >> 16);
}

static void write_wav(FILE *f, const struct out *o, int rate, int ch)
{
    uint32_t bytes = (uint32_t)(o->n * 2);
    fwrite("RIFF", 1, 4, f);
    put32le(f, 36 + bytes);
    fwrite("WAVEfmt ", 1, 8, f);
    put32le(f, 16);
    put16le(f, 1);
    put16le(f, (unsigned)ch);
    put32le(f, (uint32_t)rate);
    put32le(f, (uint32_t)(rate * ch * 2));
    put16le(f, (unsigned)ch * 2);
    put16le(f, 16);
    fwrite("data", 1, 4, f);
    put32le(f, bytes);
    for (size_t i = 0; i < o->n; i++)
        put16le(f, (uint16_t)o->s[i]);
}

int main(int argc, char **argv)
{
    struct dec d;
    const char *outpath = "-";
    int raw = 0;
    memset(&d, 0, sizeof(d));
    d.channels = 1;
    if (argc < 2)
        die("usage: avdecode CODEC [-c CH] [-r RATE] [-R OUTRATE] [-m 20|30] [-b] [-o OUT] [--raw] < payloads");
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
        if (!strcmp(argv[1], codecs[i].name))
            d.c = &codecs[i];
    if (!d.c)
        die("unknown codec name");
    d.rate = d.c->rate;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-b")) {
            d.bwe = 1;
        } else if (!strcmp(a, "--raw")) {
            raw = 1;
        } else if (v && !strcmp(a, "-c")) {
            d.channels = atoi(v), i++;
        } else if (v && !strcmp(a, "-r")) {
            if (!d.c->rate)
                d.rate = atoi(v);
            i++;
        } else if (v && !strcmp(a, "-R")) {
            d.outrate = atoi(v), i++;
        } else if (v && !strcmp(a, "-m")) {
            d.ilbc_ms = atoi(v), i++;
        } else if (v && !strcmp(a, "-o")) {
            outpath = v, i++;
        } else {
            die("bad option");
        }
    }
    if (d.rate <= 0 || d.channels < 1 || d.channels > 8)
        die("need a rate (-r) and 1-8 channels");
    if (!d.outrate)
        d.outrate = d.rate;
    d.avc = avcodec_find_decoder_by_name(d.c->decoder);
    if (!d.avc)
        die("libavcodec lacks the decoder");
    d.pkt = av_packet_alloc();
    d.frm = av_frame_alloc();
    if (!d.pkt || !d.frm)
        die("out of memory");

    char *line = NULL;
    size_t lcap = 0;
    ssize_t ll;
    uint8_t *pl = NULL;
    int opened = 0;
    while ((ll = getline(&line, &lcap, stdin)) >= 0) {
        while (ll > 0 && (line[ll - 1] == '\n' || line[ll - 1] == '\r'))
            line[--ll] = 0;
        if (ll == 0 || line[0] == '#')
            continue;
        if (!strcmp(line, "reset")) {
            if (opened) {
                avcodec_send_packet(d.ctx, NULL);   /* flush what it holds */
                drain(&d);
                dec_close(&d);
                opened = 0;
            }
            continue;
        }
        char *h = strrchr(line, '\t');
        h = h ? h + 1 : line;
        size_t hl = strlen(h);
        pl = realloc(pl, hl / 2 + 1);
        if (!pl)
            die("out of memory");
        int n = 0, hi = -1;
        for (size_t k = 0; k < hl; k++) {
            if (h[k] == ':' || h[k] == ' ')
                continue;
            int x = hexval((unsigned char)h[k]);
            if (x < 0)
                die("bad hex in input");
            if (hi < 0) {
                hi = x;
            } else {
                pl[n++] = (uint8_t)(hi << 4 | x);
                hi = -1;
            }
        }
        if (hi >= 0)
            die("odd number of hex digits");
        if (n == 0)
            continue;
        if (d.c->cut == CUT_ILBC && !d.ilbc_ms)
            d.ilbc_ms = n % 38 == 0 ? 20 : 30;
        if (!opened) {
            dec_open(&d);
            opened = 1;
        }
        payload(&d, pl, n);
    }
    if (opened) {
        avcodec_send_packet(d.ctx, NULL);
        drain(&d);
        if (d.swr) {   /* what the resampler still holds */
            int16_t tail[4096 * 8];
            uint8_t *o[1] = {(uint8_t *)tail};
            int got = swr_convert(d.swr, o, 4096, NULL, 0);
            if (got > 0)
                out_put(&d.out, tail, (size_t)got * d.channels);
        }
        dec_close(&d);
    }
    FILE *f = strcmp(outpath, "-") ? fopen(outpath, "wb") : stdout;
    if (!f)
        die("cannot open output");
    if (raw)
        fwrite(d.out.s, sizeof(int16_t), d.out.n, f);
    else
        write_wav(f, &d.out, d.outrate, d.channels);
    if (f != stdout && fclose(f) != 0)
        die("write failed");
    fprintf(stderr, "frames %ld samples %zu rate %d channels %d errors %ld\n", d.frames,
            d.out.n / (size_t)d.channels, d.outrate, d.channels, d.errors);
    free(line);
    free(pl);
    free(d.out.s);
    av_packet_free(&d.pkt);
    av_frame_free(&d.frm);
    return 0;
}
