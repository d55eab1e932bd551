/* Deterministic benchmark capture: N concurrent calls, each with a digest
 * REGISTER (401, then an Authorization computed with OpenSSL MD5), INVITE
 * with SDP (PCMU), 100/180/200/ACK, 20 ms PCMU RTP both ways, an RTCP SR
 * every 5 s per stream, STUN binding request/response at call start,
 * BYE/200. Calls end after -d seconds and are replaced, until the file
 * reaches the size asked for. With -c MAXCALLS no call is started after the
 * MAXCALLS-th and the file ends when the last one has hung up (or at -s, if
 * given, whichever comes first). Same arguments, same bytes.
 * With -k FILE (up to 4 times) the calls take turns at the codecs of the
 * files: "PT ENCODING/CLOCK TS_STEP" on the first line, then one RTP payload
 * in hex a line (encoded frames, e.g. from a fixture: bench/codec.sh), sent
 * in a loop instead of the PCMU tone.
 * Usage: gen-capture [-s SIZE[K|M|G]] [-n CALLS] [-d SECONDS] [-c MAXCALLS] [-k FRAMES]... OUT.pcap */
#include <math.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct call {
	int id, active;
	uint32_t a, b;           /* caller, callee IPv4 (host order) */
	uint16_t pa, pb;         /* RTP ports */
	uint32_t ssrc[2], ts[2];
	uint16_t seq[2];
	int64_t start, end;      /* ns */
	int64_t next_rtcp;
	uint32_t pkts[2];
};

struct frames {
	int pt;
	char enc[40];
	uint32_t step;
	size_t n;
	uint8_t (*p)[1200];
	uint16_t *len;
};
static struct frames kf[4];
static int nk;

static int
load_frames(struct frames *f, const char *path)
{
	FILE *in = fopen(path, "r");
	if (!in || fscanf(in, "%d %39s %u", &f->pt, f->enc, &f->step) != 3)
		return -1;
	char line[4096];
	while (fgets(line, sizeof(line), in)) {
		size_t l = strspn(line, "0123456789abcdefABCDEF") / 2;
		if (!l || l > 1200)
			continue;
		f->p = realloc(f->p, (f->n + 1) * sizeof(*f->p));
		f->len = realloc(f->len, (f->n + 1) * sizeof(*f->len));
		for (size_t k = 0; k < l; k++) {
			unsigned v;
			sscanf(line + 2 * k, "%2x", &v);
			f->p[f->n][k] = (uint8_t)v;
		}
		f->len[f->n++] = (uint16_t)l;
	}
	fclose(in);
	return f->n ? 0 : -1;
}

static FILE *out;
static uint64_t written;
static uint16_t ipid;

static void
put_frame(int64_t t, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp, const void *pl, size_t n)
{
	uint8_t f[2048];
	size_t len = 14 + 20 + 8 + n;
	if (len > sizeof(f))
		return;
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1 };
	memcpy(f, macs, 12);
	f[12] = 0x08;
	f[13] = 0x00;
	uint8_t *ip = f + 14;
	uint16_t tot = (uint16_t)(20 + 8 + n);
	uint8_t h[20] = { 0x45, 0, (uint8_t)(tot >> 8), (uint8_t)tot, (uint8_t)(ipid >> 8), (uint8_t)ipid, 0x40, 0, 64, 17, 0, 0,
			  (uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
			  (uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst };
	ipid++;
	memcpy(ip, h, 20);
	uint8_t *u = ip + 20;
	uint16_t ul = (uint16_t)(8 + n);
	u[0] = (uint8_t)(sp >> 8); u[1] = (uint8_t)sp; u[2] = (uint8_t)(dp >> 8); u[3] = (uint8_t)dp;
	u[4] = (uint8_t)(ul >> 8); u[5] = (uint8_t)ul; u[6] = 0; u[7] = 0;
	memcpy(u + 8, pl, n);
	uint32_t rec[4] = { (uint32_t)(t / 1000000000LL), (uint32_t)(t % 1000000000LL / 1000), (uint32_t)len, (uint32_t)len };
	fwrite(rec, 4, 4, out);
	fwrite(f, 1, len, out);
	written += 16 + len;
}

static void
ipstr(uint32_t a, char *b)
{
	sprintf(b, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static void
md5hex(const char *s, char *out32)
{
	unsigned char h[16];
	unsigned int l;
	EVP_Digest(s, strlen(s), h, &l, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		sprintf(out32 + 2 * i, "%02x", h[i]);
}

static void
sip(int64_t t, uint32_t src, uint32_t dst, const char *text)
{
	put_frame(t, src, dst, 5060, 5060, text, strlen(text));
}

static const uint32_t PBX = 0x0a000001; /* 10.0.0.1 */

static void
call_start(struct call *c, int64_t t)
{
	char a[16], b[16], m[2048], sdp[512], ha1[33], ha2[33], resp[33], tmp[256];
	ipstr(c->a, a);
	ipstr(c->b, b);
	/* REGISTER with digest */
	snprintf(m, sizeof(m), "REGISTER sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKr%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=r%d\r\nTo: <sip:u%d@10.0.0.1>\r\nCall-ID: reg-%d@%s\r\nCSeq: 1 REGISTER\r\nContact: <sip:u%d@%s:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n", a, c->id, c->id, c->id, c->id, c->id, a, c->id, a);
	sip(t, c->a, PBX, m);
	snprintf(m, sizeof(m), "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKr%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=r%d\r\nTo: <sip:u%d@10.0.0.1>;tag=s%d\r\nCall-ID: reg-%d@%s\r\nCSeq: 1 REGISTER\r\nWWW-Authenticate: Digest realm=\"bench\", nonce=\"n%08x\", algorithm=MD5\r\nContent-Length: 0\r\n\r\n", a, c->id, c->id, c->id, c->id, c->id, c->id, a, (unsigned)c->id * 2654435761u);
	sip(t + 1000000, PBX, c->a, m);
	snprintf(tmp, sizeof(tmp), "u%d:bench:pw%d", c->id, c->id % 1000);
	md5hex(tmp, ha1);
	md5hex("REGISTER:sip:10.0.0.1", ha2);
	snprintf(tmp, sizeof(tmp), "%s:n%08x:%s", ha1, (unsigned)c->id * 2654435761u, ha2);
	md5hex(tmp, resp);
	snprintf(m, sizeof(m), "REGISTER sip:10.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKr%db\r\nFrom: <sip:u%d@10.0.0.1>;tag=r%d\r\nTo: <sip:u%d@10.0.0.1>\r\nCall-ID: reg-%d@%s\r\nCSeq: 2 REGISTER\r\nAuthorization: Digest username=\"u%d\", realm=\"bench\", nonce=\"n%08x\", uri=\"sip:10.0.0.1\", response=\"%s\", algorithm=MD5\r\nContact: <sip:u%d@%s:5060>\r\nExpires: 3600\r\nContent-Length: 0\r\n\r\n", a, c->id, c->id, c->id, c->id, c->id, a, c->id, (unsigned)c->id * 2654435761u, resp, c->id, a);
	sip(t + 2000000, c->a, PBX, m);
	snprintf(m, sizeof(m), "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKr%db\r\nFrom: <sip:u%d@10.0.0.1>;tag=r%d\r\nTo: <sip:u%d@10.0.0.1>;tag=s%d\r\nCall-ID: reg-%d@%s\r\nCSeq: 2 REGISTER\r\nContent-Length: 0\r\n\r\n", a, c->id, c->id, c->id, c->id, c->id, c->id, a);
	sip(t + 3000000, PBX, c->a, m);
	/* INVITE / 100 / 180 / 200 / ACK */
	const struct frames *k = nk ? &kf[c->id % nk] : NULL;
	char rm[80] = "";
	if (k)
		snprintf(rm, sizeof(rm), "a=rtpmap:%d %s\r\n", k->pt, k->enc);
	int sl = k ? snprintf(sdp, sizeof(sdp), "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP %d\r\n%sa=sendrecv\r\n", c->id, a, a, c->pa, k->pt, rm) :
		 snprintf(sdp, sizeof(sdp), "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n", c->id, a, a, c->pa);
	snprintf(m, sizeof(m), "INVITE sip:v%d@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKi%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>\r\nCall-ID: call-%d@%s\r\nCSeq: 1 INVITE\r\nContact: <sip:u%d@%s>\r\nUser-Agent: gen-capture\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", c->id, b, a, c->id, c->id, c->id, c->id, c->id, a, c->id, a, sl, sdp);
	sip(t + 10000000, c->a, c->b, m);
	const char *codes[] = { "100 Trying", "180 Ringing" };
	for (int i = 0; i < 2; i++) {
		snprintf(m, sizeof(m), "SIP/2.0 %s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKi%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>;tag=t%d\r\nCall-ID: call-%d@%s\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", codes[i], a, c->id, c->id, c->id, c->id, c->id, c->id, a);
		sip(t + 11000000 + i * 1000000, c->b, c->a, m);
	}
	sl = k ? snprintf(sdp, sizeof(sdp), "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP %d\r\n%sa=sendrecv\r\n", c->id, b, b, c->pb, k->pt, rm) :
	     snprintf(sdp, sizeof(sdp), "v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n", c->id, b, b, c->pb);
	snprintf(m, sizeof(m), "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKi%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>;tag=t%d\r\nCall-ID: call-%d@%s\r\nCSeq: 1 INVITE\r\nServer: gen-capture\r\nContent-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", a, c->id, c->id, c->id, c->id, c->id, c->id, a, sl, sdp);
	sip(t + 13000000, c->b, c->a, m);
	snprintf(m, sizeof(m), "ACK sip:v%d@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKa%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>;tag=t%d\r\nCall-ID: call-%d@%s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", c->id, b, a, c->id, c->id, c->id, c->id, c->id, c->id, a);
	sip(t + 14000000, c->a, c->b, m);
	/* STUN binding request/response on the media ports */
	uint8_t st[32] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	for (int i = 8; i < 20; i++)
		st[i] = (uint8_t)(c->id * 7 + i);
	put_frame(t + 15000000, c->a, c->b, c->pa, c->pb, st, 20);
	st[0] = 0x01;
	st[1] = 0x01;
	st[3] = 12;
	uint8_t xma[12] = { 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, (uint8_t)((c->pa ^ 0x2112) >> 8), (uint8_t)(c->pa ^ 0x2112),
			    (uint8_t)((c->a >> 24) ^ 0x21), (uint8_t)(((c->a >> 16) & 255) ^ 0x12), (uint8_t)(((c->a >> 8) & 255) ^ 0xa4), (uint8_t)((c->a & 255) ^ 0x42) };
	memcpy(st + 20, xma, 12);
	put_frame(t + 16000000, c->b, c->a, c->pb, c->pa, st, 32);
}

static void
call_end(struct call *c, int64_t t)
{
	char a[16], b[16], m[1024];
	ipstr(c->a, a);
	ipstr(c->b, b);
	snprintf(m, sizeof(m), "BYE sip:v%d@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKb%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>;tag=t%d\r\nCall-ID: call-%d@%s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", c->id, b, a, c->id, c->id, c->id, c->id, c->id, c->id, a);
	sip(t, c->a, c->b, m);
	snprintf(m, sizeof(m), "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bKb%d\r\nFrom: <sip:u%d@10.0.0.1>;tag=f%d\r\nTo: <sip:v%d@10.0.0.1>;tag=t%d\r\nCall-ID: call-%d@%s\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n", a, c->id, c->id, c->id, c->id, c->id, c->id, a);
	sip(t + 1000000, c->b, c->a, m);
}

static uint8_t
ulaw(int16_t s)
{
	int sign = (s >> 8) & 0x80;
	int v = sign ? -(int)s : s;
	if (v > 32635)
		v = 32635;
	v += 0x84;
	int exp = 7;
	for (int mask = 0x4000; (v & mask) == 0 && exp > 0; mask >>= 1)
		exp--;
	int mant = (v >> (exp + 3)) & 0x0f;
	return (uint8_t)~(sign | (exp << 4) | mant);
}

int
main(int argc, char **argv)
{
	uint64_t size = 1ULL << 30;
	int ncalls = 200, dur = 60, maxcalls = 0, size_given = 0;
	const char *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			char *e;
			double v = strtod(argv[++i], &e);
			size = (uint64_t)(v * (*e == 'G' ? 1 << 30 : *e == 'M' ? 1 << 20 : *e == 'K' ? 1 << 10 : 1));
			size_given = 1;
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			ncalls = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			dur = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-k") && i + 1 < argc) {
			if (nk == 4 || load_frames(&kf[nk++], argv[++i]) < 0) {
				fprintf(stderr, "gen-capture: %s: not a frames file\n", argv[i]);
				return 2;
			}
		} else if (!strcmp(argv[i], "-c") && i + 1 < argc) {
			maxcalls = atoi(argv[++i]);
			if (maxcalls < 1)
				maxcalls = -1;
		} else {
			path = argv[i];
		}
	}
	if (!path || ncalls < 1 || ncalls > 10000 || dur < 1 || maxcalls < 0) {
		fprintf(stderr, "usage: gen-capture [-s SIZE[K|M|G]] [-n CALLS] [-d SECONDS] [-c MAXCALLS] [-k FRAMES]... OUT.pcap\n");
		return 2;
	}
	out = fopen(path, "wb");
	if (!out) {
		perror(path);
		return 1;
	}
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	uint32_t gh[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1 };
	fwrite(gh, 4, 6, out);
	written = 24;
	/* 1 s of "speech": a vowel-like mix, amplitude modulated; encoded once */
	static uint8_t voice[8000];
	for (int i = 0; i < 8000; i++) {
		double t = i / 8000.0;
		double env = 0.5 + 0.5 * sin(2 * M_PI * 3 * t);
		double s = env * (0.6 * sin(2 * M_PI * 220 * t) + 0.3 * sin(2 * M_PI * 660 * t) + 0.1 * sin(2 * M_PI * 1320 * t));
		voice[i] = ulaw((int16_t)(s * 12000));
	}
	if (maxcalls && !size_given)
		size = UINT64_MAX;
	if (maxcalls && ncalls > maxcalls)
		ncalls = maxcalls;
	int live = ncalls; /* slots that still have a call to come or under way */
	struct call *calls = calloc((size_t)ncalls, sizeof(*calls));
	int next_id = 1;
	int64_t t0 = 1700000000LL * 1000000000LL;
	for (int i = 0; i < ncalls; i++) {
		struct call *c = &calls[i];
		c->id = next_id++;
		c->start = t0 + (int64_t)i * ((int64_t)dur * 1000000000LL / ncalls);
	}
	int64_t t = t0;
	uint8_t rtp[12 + 1200];
	while (written < size && live > 0) {
		for (int i = 0; i < ncalls && written < size; i++) {
			struct call *c = &calls[i];
			if (!c->active && t >= c->start) {
				c->active = 1;
				c->a = 0x0a010000u + (uint32_t)(c->id % 60000) * 2;
				c->b = c->a + 1;
				c->pa = (uint16_t)(10000 + (c->id % 20000) * 2);
				c->pb = (uint16_t)(40000 + (c->id % 10000) * 2);
				c->ssrc[0] = 0x10000000u + (uint32_t)c->id;
				c->ssrc[1] = 0x20000000u + (uint32_t)c->id;
				c->seq[0] = (uint16_t)(c->id * 31);
				c->seq[1] = (uint16_t)(c->id * 17);
				c->ts[0] = (uint32_t)c->id * 1000u;
				c->ts[1] = (uint32_t)c->id * 3000u;
				c->end = t + (int64_t)dur * 1000000000LL;
				c->next_rtcp = t + 5000000000LL;
				call_start(c, t);
				continue;
			}
			if (!c->active)
				continue;
			if (t >= c->end) {
				call_end(c, t);
				/* a new call takes the slot */
				memset(c, 0, sizeof(*c));
				if (maxcalls && next_id > maxcalls) {
					c->start = INT64_MAX; /* none: the slot stays empty */
					live--;
					continue;
				}
				c->id = next_id++;
				c->start = t + 20000000;
				continue;
			}
			for (int d = 0; d < 2; d++) {
				rtp[0] = 0x80;
				rtp[1] = 0;
				rtp[2] = (uint8_t)(c->seq[d] >> 8);
				rtp[3] = (uint8_t)c->seq[d];
				rtp[4] = (uint8_t)(c->ts[d] >> 24); rtp[5] = (uint8_t)(c->ts[d] >> 16);
				rtp[6] = (uint8_t)(c->ts[d] >> 8); rtp[7] = (uint8_t)c->ts[d];
				rtp[8] = (uint8_t)(c->ssrc[d] >> 24); rtp[9] = (uint8_t)(c->ssrc[d] >> 16);
				rtp[10] = (uint8_t)(c->ssrc[d] >> 8); rtp[11] = (uint8_t)c->ssrc[d];
				size_t plen = 160;
				const struct frames *k = nk ? &kf[c->id % nk] : NULL;
				if (k) {
					size_t f = (c->pkts[d] + (uint32_t)d * 37u) % k->n;
					rtp[1] = (uint8_t)k->pt;
					plen = k->len[f];
					memcpy(rtp + 12, k->p[f], plen);
				} else {
					memcpy(rtp + 12, voice + (c->ts[d] % 7840), 160);
				}
				if (d == 0)
					put_frame(t + i * 1000, c->a, c->b, c->pa, c->pb, rtp, 12 + plen);
				else
					put_frame(t + i * 1000 + 500, c->b, c->a, c->pb, c->pa, rtp, 12 + plen);
				c->seq[d]++;
				c->ts[d] += k ? k->step : 160;
				c->pkts[d]++;
			}
			if (t >= c->next_rtcp) {
				for (int d = 0; d < 2; d++) {
					uint8_t sr[28] = { 0x80, 200, 0, 6 };
					uint32_t v[6] = { c->ssrc[d], (uint32_t)(t / 1000000000LL + 2208988800LL), 0, c->ts[d], c->pkts[d], c->pkts[d] * 160 };
					for (int k = 0; k < 6; k++) {
						sr[4 + k * 4] = (uint8_t)(v[k] >> 24); sr[5 + k * 4] = (uint8_t)(v[k] >> 16);
						sr[6 + k * 4] = (uint8_t)(v[k] >> 8); sr[7 + k * 4] = (uint8_t)v[k];
					}
					if (d == 0)
						put_frame(t + i * 1000 + 700, c->a, c->b, (uint16_t)(c->pa + 1), (uint16_t)(c->pb + 1), sr, sizeof(sr));
					else
						put_frame(t + i * 1000 + 800, c->b, c->a, (uint16_t)(c->pb + 1), (uint16_t)(c->pa + 1), sr, sizeof(sr));
				}
				c->next_rtcp += 5000000000LL;
			}
		}
		t += 20000000;
	}
	fclose(out);
	fprintf(stderr, "gen-capture: %s: %llu bytes, %d calls started\n", path, (unsigned long long)written, next_id - 1);
	free(calls);
	return 0;
}
