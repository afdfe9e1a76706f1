/* mux_scan.c - scan analog multiplexers through hal.h; see mux_scan.h. */
#include "mux_scan.h"

int mux_config_valid(const mux_config_t *cfg)
{
    return cfg != NULL && cfg->n_sig >= 1u && cfg->n_sig <= MUX_SCAN_MAX_SIG &&
           cfg->n_channels >= 1u && cfg->n_channels <= MUX_SCAN_MAX_CHANNELS &&
           cfg->oversample >= 1u && cfg->oversample <= 16u;
}

static void select_channel(const mux_config_t *cfg, uint8_t channel)
{
    uint8_t k;
    for (k = 0; k < 4u; k++) {
        insole_hal_digital_write(cfg->select_pins[k], (uint8_t)((channel >> k) & 1u));
    }
}

static uint16_t sample(const mux_config_t *cfg, uint8_t pin)
{
    uint32_t sum = 0;
    uint8_t i;
    if (cfg->discard_first) {
        (void)insole_hal_analog_read(pin);
    }
    for (i = 0; i < cfg->oversample; i++) {
        sum += insole_hal_analog_read(pin);
    }
    return (uint16_t)((sum + cfg->oversample / 2u) / cfg->oversample); /* rounded mean */
}

int mux_scan(const mux_config_t *cfg, uint16_t *out)
{
    uint8_t c, m;
    if (!mux_config_valid(cfg) || out == NULL) {
        return 0;
    }
    for (c = 0; c < cfg->n_channels; c++) {
        select_channel(cfg, c);
        if (cfg->settle_us) {
            insole_hal_delay_us(cfg->settle_us);
        }
        for (m = 0; m < cfg->n_sig; m++) {
            out[(unsigned)m * cfg->n_channels + c] = sample(cfg, cfg->sig_pins[m]);
        }
    }
    return (int)cfg->n_sig * (int)cfg->n_channels;
}
