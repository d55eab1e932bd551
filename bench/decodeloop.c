/* The floor for the codec benchmark (bench/codec.sh): reads a capture with
 * libpcap and decodes every RTP payload of the given payload types with
 * libavcodec, one decoder per SSRC, the PCM thrown away (a checksum is
 * printed so the work cannot be skipped). No SIP, no playout, no files:
 * what callextract's full job is measured against.
 * Usage: decodeloop CAPTURE PT=DECODER[:RATE:CHANNELS]...  (e.g. 96=opus:48000:1 9=g722:16000:1) */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/log.h>

#define SLOTS 65536

struct map {
	int pt, rate, ch;
	const AVCodec *codec;
};

struct slot {
	uint32_t ssrc;
	int used;
	AVCodecContext *ctx;
};

int
main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: decodeloop CAPTURE PT=DECODER[:RATE:CHANNELS]...\n");
		return 2;
	}
	av_log_set_level(AV_LOG_QUIET);
	struct map maps[8];
	int nm = 0;
	for (int i = 2; i < argc && nm < 8; i++) {
		char name[32] = "";
		int pt, rate = 8000, ch = 1;
		if (sscanf(argv[i], "%d=%31[^:]:%d:%d", &pt, name, &rate, &ch) < 2 ||
		    !(maps[nm].codec = avcodec_find_decoder_by_name(name))) {
			fprintf(stderr, "decodeloop: %s: no such decoder\n", argv[i]);
			return 2;
		}
		maps[nm].pt = pt;
		maps[nm].rate = rate;
		maps[nm].ch = ch;
		nm++;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "decodeloop: %s\n", err);
		return 1;
	}
	struct slot *slots = calloc(SLOTS, sizeof(*slots));
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t packets = 0, samples = 0, sum = 0;
	while (pcap_next_ex(p, &h, &d) == 1) {
		/* Ethernet, IPv4, UDP, RTP: what gen-capture writes */
		if (h->caplen < 14 + 20 + 8 + 12 || d[12] != 8 || d[13] != 0 || d[23] != 17)
			continue;
		size_t ihl = (size_t)(d[14] & 15) * 4, off = 14 + ihl + 8;
		if (h->caplen < off + 12 || (d[off] >> 6) != 2)
			continue;
		int pt = d[off + 1] & 127;
		struct map *m = NULL;
		for (int i = 0; i < nm; i++)
			if (maps[i].pt == pt)
				m = &maps[i];
		if (!m)
			continue;
		uint32_t ssrc = (uint32_t)d[off + 8] << 24 | (uint32_t)d[off + 9] << 16 | (uint32_t)d[off + 10] << 8 | d[off + 11];
		size_t k = (ssrc * 2654435761u) % SLOTS;
		while (slots[k].used && slots[k].ssrc != ssrc)
			k = (k + 1) % SLOTS;
		if (!slots[k].used) {
			slots[k].used = 1;
			slots[k].ssrc = ssrc;
			AVCodecContext *c = slots[k].ctx = avcodec_alloc_context3(m->codec);
			c->sample_rate = m->rate;
			av_channel_layout_default(&c->ch_layout, m->ch);
			if (avcodec_open2(c, m->codec, NULL) < 0)
				return 1;
		}
		size_t hl = 12 + 4 * (size_t)(d[off] & 15);
		if (h->caplen < off + hl)
			continue;
		size_t n = h->caplen - off - hl;
		if (av_new_packet(pkt, (int)n) < 0)
			return 1;
		memcpy(pkt->data, d + off + hl, n);
		if (avcodec_send_packet(slots[k].ctx, pkt) == 0) {
			while (avcodec_receive_frame(slots[k].ctx, fr) == 0) {
				samples += (uint64_t)fr->nb_samples;
				sum += fr->data[0][0];
				av_frame_unref(fr);
			}
		}
		av_packet_unref(pkt);
		packets++;
	}
	printf("decodeloop: %llu payloads, %llu samples (checksum %llu)\n", (unsigned long long)packets,
	       (unsigned long long)samples, (unsigned long long)sum);
	for (size_t k = 0; k < SLOTS; k++)
		avcodec_free_context(&slots[k].ctx);
	free(slots);
	av_packet_free(&pkt);
	av_frame_free(&fr);
	pcap_close(p);
	return 0;
}
