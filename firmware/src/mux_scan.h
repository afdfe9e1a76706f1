/*
 * mux_scan.h - scan force sensors through 16-channel analog multiplexers
 * (CD74HC4067 or 74HC4067): 4 select pins S0..S3 shared by one or two
 * multiplexers (one per foot), each multiplexer's common pin SIG on an ADC input.
 * Plain C99; the hardware is reached through hal.h only.
 */
#ifndef INSOLE_MUX_SCAN_H
#define INSOLE_MUX_SCAN_H

#include <stdint.h>

#include "hal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MUX_SCAN_MAX_CHANNELS 16u
#define MUX_SCAN_MAX_SIG 2u

typedef struct {
    uint8_t select_pins[4];  /* S0, S1, S2, S3: channel c sets S_k to bit k of c */
    uint8_t sig_pins[MUX_SCAN_MAX_SIG]; /* ADC input of each multiplexer's SIG pin */
    uint8_t n_sig;           /* multiplexers sharing the select pins: 1, or 2 (left, right) */
    uint8_t n_channels;      /* channels C0 .. C(n-1) scanned, 1..16 */
    uint16_t settle_us;      /* wait after switching channel, before converting */
    uint8_t discard_first;   /* 1: throw away the first conversion after switching */
    uint8_t oversample;      /* conversions averaged per sample, 1..16 */
} mux_config_t;

/* 1 if the configuration is usable, else 0. */
int mux_config_valid(const mux_config_t *cfg);

/*
 * Scan every channel of every multiplexer once.  out receives n_sig *
 * n_channels samples: multiplexer 0's channels 0..n-1, then multiplexer 1's
 * (the left-then-right block order of a protocol-v1 both-feet frame).
 * Returns the number of samples written, or 0 if the configuration is invalid.
 */
int mux_scan(const mux_config_t *cfg, uint16_t *out);

#ifdef __cplusplus
}
#endif

#endif /* INSOLE_MUX_SCAN_H */
