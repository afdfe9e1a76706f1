/*
 * fw_test.c - host-side test program for the portable firmware code, with a fake HAL.
 *
 * Built and driven by tests/firmware/test_firmware.py (gcc -std=c99 -Wall -Werror):
 *
 *   fw_test encode      lines "foot fmt n_sensors seq t_us v0 v1 ..." on stdin -> one line per
 *                       frame on stdout: the frame in hex, or ERROR if the encoder refused it
 *   fw_test crc         lines of hex on stdin -> CRC-16/CCITT-FALSE of each line, in hex
 *   fw_test scan CFG N  N scans through the fake multiplexer(s) written as protocol-v1 frames
 *                       (binary) to stdout; CFG "one" = 16 channels on one multiplexer, 2x
 *                       oversampling, first conversion discarded; "two" = 8 channels on two
 *                       multiplexers (a both-feet frame), no oversampling
 *   fw_test selftest    edge cases of the encoder and the scan; prints "ok" or fails
 *
 * The fake multiplexer: channel c of multiplexer m reads 100 * c + 37 + 2000 * m counts,
 * decoded from the levels last written to the select pins.  In "one" the first conversion
 * after a switch returns a stale 4095 and the next ones alternate -3 / +3 around the value,
 * so only a scan that discards and averages as configured sees the exact value.  The fake
 * clock starts 25 ms before the 32-bit microsecond counter wraps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hal.h"
#include "insole_v1.h"
#include "mux_scan.h"

#define SIG_A 34u
#define SIG_B 35u
#define FRAME_PERIOD_US 10000u

static uint8_t pin_level[256];
static uint8_t stale[256];
static unsigned reads[256];
static int fake_adc_is_noisy = 0;
static uint32_t fake_now_us = 0xFFFFFFFFu - 25000u;
static const uint8_t SELECT_PINS[4] = {16u, 17u, 18u, 19u};

void insole_hal_digital_write(uint8_t pin, uint8_t level)
{
    pin_level[pin] = (uint8_t)(level ? 1u : 0u);
    stale[SIG_A] = stale[SIG_B] = 1u; /* a switch leaves the sample-and-hold stale */
}

uint16_t insole_hal_analog_read(uint8_t pin)
{
    unsigned channel = 0, k;
    uint16_t value;
    fake_now_us += 10u; /* one conversion takes 10 us */
    for (k = 0; k < 4u; k++) {
        channel |= (unsigned)pin_level[SELECT_PINS[k]] << k;
    }
    value = (uint16_t)(100u * channel + 37u + (pin == SIG_B ? 2000u : 0u));
    if (!fake_adc_is_noisy) {
        return value;
    }
    if (stale[pin]) {
        stale[pin] = 0u;
        return 4095u;
    }
    reads[pin]++;
    return (uint16_t)((reads[pin] & 1u) ? value - 3u : value + 3u);
}

uint32_t insole_hal_micros(void)
{
    return fake_now_us;
}

void insole_hal_delay_us(uint32_t us)
{
    fake_now_us += us;
}

size_t insole_hal_write(const uint8_t *data, size_t n)
{
    return fwrite(data, 1, n, stdout);
}

static int run_encode(void)
{
    static char line[1 << 16];
    static uint16_t values[2 * INSOLE_V1_MAX_SENSORS];
    static uint8_t frame[INSOLE_V1_MAX_FRAME_LEN];
    while (fgets(line, sizeof line, stdin) != NULL) {
        char *p = line, *end;
        unsigned long field[5];
        size_t n_values = 0, len, i;
        int ok = 1;
        for (i = 0; i < 5u; i++) {
            field[i] = strtoul(p, &end, 0);
            ok = ok && end != p;
            p = end;
        }
        if (!ok) {
            continue; /* blank line */
        }
        for (;;) {
            unsigned long v = strtoul(p, &end, 0);
            if (end == p || n_values == 2u * INSOLE_V1_MAX_SENSORS) {
                break;
            }
            values[n_values++] = (uint16_t)(v > 0xFFFFul ? 0xFFFFul : v);
            p = end;
        }
        len = insole_v1_encode(frame, sizeof frame, (uint8_t)field[0], (uint8_t)field[1],
                               (uint16_t)field[2], (uint32_t)field[3], (uint32_t)field[4], values);
        if (len == 0) {
            puts("ERROR");
            continue;
        }
        for (i = 0; i < len; i++) {
            printf(i ? " %02x" : "%02x", frame[i]);
        }
        putchar('\n');
    }
    return 0;
}

static int run_crc(void)
{
    static char line[1 << 16];
    static uint8_t data[1 << 15];
    while (fgets(line, sizeof line, stdin) != NULL) {
        size_t n = 0;
        char *p = line;
        unsigned byte;
        int used;
        while (n < sizeof data && sscanf(p, "%2x%n", &byte, &used) == 1) {
            data[n++] = (uint8_t)byte;
            p += used;
            while (*p == ' ') {
                p++;
            }
        }
        printf("%04x\n", insole_v1_crc16(INSOLE_V1_CRC_INIT, data, n));
    }
    return 0;
}

static int run_scan(const char *which, long n_frames)
{
    mux_config_t cfg;
    uint16_t samples[MUX_SCAN_MAX_SIG * MUX_SCAN_MAX_CHANNELS];
    uint8_t frame[INSOLE_V1_FRAME_CAPACITY(2, 16)];
    uint8_t foot;
    uint32_t seq = 0;
    long i;
    memcpy(cfg.select_pins, SELECT_PINS, sizeof SELECT_PINS);
    cfg.sig_pins[0] = SIG_A;
    cfg.sig_pins[1] = SIG_B;
    if (strcmp(which, "one") == 0) {
        cfg.n_sig = 1u;
        cfg.n_channels = 16u;
        cfg.settle_us = 20u;
        cfg.discard_first = 1u;
        cfg.oversample = 2u;
        fake_adc_is_noisy = 1;
        foot = INSOLE_V1_LEFT;
    } else if (strcmp(which, "two") == 0) {
        cfg.n_sig = 2u;
        cfg.n_channels = 8u;
        cfg.settle_us = 0u;
        cfg.discard_first = 0u;
        cfg.oversample = 1u;
        foot = INSOLE_V1_BOTH;
    } else {
        fprintf(stderr, "unknown scan configuration %s\n", which);
        return 2;
    }
    for (i = 0; i < n_frames; i++) {
        uint32_t t_us = insole_hal_micros();
        size_t len;
        if (mux_scan(&cfg, samples) != (int)cfg.n_sig * (int)cfg.n_channels) {
            return 3;
        }
        len = insole_v1_encode(frame, sizeof frame, foot, INSOLE_V1_U12, cfg.n_channels, seq, t_us,
                               samples);
        if (len == 0 || insole_hal_write(frame, len) != len) {
            return 4;
        }
        seq++;
        fake_now_us = t_us + FRAME_PERIOD_US;
    }
    return 0;
}

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            fprintf(stderr, "selftest failed line %d: %s\n", __LINE__, #cond); \
            return 1;                                                 \
        }                                                             \
    } while (0)

static int run_selftest(void)
{
    const uint8_t check[] = "123456789";
    uint8_t frame[64];
    uint16_t values[4] = {1u, 2u, 3u, 4u};
    mux_config_t cfg;
    CHECK(insole_v1_crc16(INSOLE_V1_CRC_INIT, check, 9) == 0x29B1u);
    CHECK(insole_v1_block_len(INSOLE_V1_U12, 5) == 9u);
    CHECK(insole_v1_block_len(INSOLE_V1_U12, 0) == 0u);
    CHECK(insole_v1_block_len(INSOLE_V1_U12, 1025) == 0u);
    CHECK(insole_v1_block_len(10, 4) == 0u);
    CHECK(insole_v1_frame_len(INSOLE_V1_BOTH, INSOLE_V1_U16, 1024) == 4113u);
    CHECK(insole_v1_frame_len(3, INSOLE_V1_U16, 4) == 0u);
    CHECK(INSOLE_V1_MAX_FRAME_LEN == 4113u);
    CHECK(insole_v1_encode(frame, sizeof frame, INSOLE_V1_LEFT, INSOLE_V1_U8, 4, 1, 2, values) == 21u);
    CHECK(insole_v1_encode(frame, 20, INSOLE_V1_LEFT, INSOLE_V1_U8, 4, 1, 2, values) == 0u);
    CHECK(insole_v1_encode(NULL, sizeof frame, INSOLE_V1_LEFT, INSOLE_V1_U8, 4, 1, 2, values) == 0u);
    CHECK(insole_v1_encode(frame, sizeof frame, INSOLE_V1_LEFT, INSOLE_V1_U8, 4, 1, 2, NULL) == 0u);
    values[3] = 256u;
    CHECK(insole_v1_encode(frame, sizeof frame, INSOLE_V1_LEFT, INSOLE_V1_U8, 4, 1, 2, values) == 0u);
    CHECK(insole_v1_encode(frame, sizeof frame, INSOLE_V1_LEFT, INSOLE_V1_U12, 4, 1, 2, values) == 23u);
    memset(&cfg, 0, sizeof cfg);
    CHECK(!mux_config_valid(&cfg));
    CHECK(mux_scan(&cfg, values) == 0);
    CHECK(!mux_config_valid(NULL));
    cfg.n_sig = 1u;
    cfg.n_channels = 17u;
    cfg.oversample = 1u;
    CHECK(!mux_config_valid(&cfg));
    cfg.n_channels = 4u;
    CHECK(mux_config_valid(&cfg));
    CHECK(mux_scan(&cfg, NULL) == 0);
    cfg.oversample = 0u;
    CHECK(!mux_config_valid(&cfg));
    puts("ok");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "encode") == 0) {
        return run_encode();
    }
    if (argc >= 2 && strcmp(argv[1], "crc") == 0) {
        return run_crc();
    }
    if (argc >= 4 && strcmp(argv[1], "scan") == 0) {
        return run_scan(argv[2], strtol(argv[3], NULL, 10));
    }
    if (argc >= 2 && strcmp(argv[1], "selftest") == 0) {
        return run_selftest();
    }
    fprintf(stderr, "usage: fw_test encode | crc | scan one|two N | selftest\n");
    return 2;
}
