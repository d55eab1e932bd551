/* The baselines for bench/run.sh: a plain pcap_next_ex loop over a file,
 * and (--decode OUT) the same loop decoding every PCMU/PCMA RTP payload
 * (Ethernet/IPv4/UDP) and writing all the PCM to OUT: the least work that
 * any tool producing audio from the capture must do. --twice OUT2 also
 * writes every sample to a second file: the output volume of a tool that
 * writes each stream once as a mono WAV and once more in a stereo mix. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

static short ulaw_tab[256], alaw_tab[256];

static void
tables(void)
{
	for (int i = 0; i < 256; i++) {
		int u = ~i & 0xff, t = ((u & 0x0f) << 3) + 0x84;
		t <<= (u & 0x70) >> 4;
		ulaw_tab[i] = (short)((u & 0x80) ? (0x84 - t) : (t - 0x84));
		int a = i ^ 0x55, seg = (a & 0x70) >> 4;
		t = (a & 0x0f) << 4;
		t = seg == 0 ? t + 8 : seg == 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
		alaw_tab[i] = (short)((a & 0x80) ? t : -t);
	}
}

int
main(int argc, char **argv)
{
	const char *decode = NULL, *twice = NULL, *path = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--decode") && i + 1 < argc)
			decode = argv[++i];
		else if (!strcmp(argv[i], "--twice") && i + 1 < argc)
			twice = argv[++i];
		else
			path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "usage: readloop [--decode OUT.pcm [--twice OUT2.pcm]] CAPTURE\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, err);
	if (!p) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	FILE *out = decode ? fopen(decode, "wb") : NULL;
	FILE *out2 = decode && twice ? fopen(twice, "wb") : NULL;
	static char obuf[1 << 20], obuf2[1 << 20];
	if (out)
		setvbuf(out, obuf, _IOFBF, sizeof(obuf));
	if (out2)
		setvbuf(out2, obuf2, _IOFBF, sizeof(obuf2));
	tables();
	struct pcap_pkthdr *h;
	const u_char *d;
	unsigned long long n = 0, bytes = 0, samples = 0;
	short pcm[2048];
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		bytes += h->caplen;
		if (!out || h->caplen < 14 + 20 + 8 + 12 || d[12] != 8 || d[13] != 0 || d[23] != 17)
			continue;
		unsigned ihl = (d[14] & 15) * 4u;
		const u_char *rtp = d + 14 + ihl + 8;
		size_t len = h->caplen - (size_t)(rtp - d);
		if (len < 12 || (rtp[0] >> 6) != 2)
			continue;
		int pt = rtp[1] & 0x7f;
		if (pt != 0 && pt != 8)
			continue;
		size_t m = len - 12;
		if (m > 2048)
			m = 2048;
		const short *tab = pt ? alaw_tab : ulaw_tab;
		for (size_t i = 0; i < m; i++)
			pcm[i] = tab[rtp[12 + i]];
		fwrite(pcm, 2, m, out);
		if (out2)
			fwrite(pcm, 2, m, out2);
		samples += m;
	}
	printf("%llu packets, %llu bytes, %llu samples\n", n, bytes, samples);
	if (out)
		fclose(out);
	if (out2)
		fclose(out2);
	pcap_close(p);
	return 0;
}
