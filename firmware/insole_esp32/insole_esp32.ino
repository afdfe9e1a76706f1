/*
 * insole_esp32.ino - reference firmware for a DIY pressure insole: an ESP32 scans
 * force-sensitive resistors (FSRs) through a 16-channel analog multiplexer
 * (CD74HC4067) and streams insole frame protocol v1 over the USB serial port.
 *
 * Wiring, flashing and limits: firmware/README.md.  Protocol: docs/protocol.md.
 * NOT TESTED ON HARDWARE: it is compiled against stub Arduino headers and run
 * against a fake ADC in the project's tests only.
 *
 * Needs the "insole_v1" library: the firmware/ folder of the insole repository
 * (arduino-cli compile --library path/to/firmware ...; see the README).
 */
#include <Arduino.h>

#include <insole_v1.h>
#include <mux_scan.h>

/* ---- configuration ------------------------------------------------------ */

/* INSOLE_V1_LEFT or INSOLE_V1_RIGHT with one multiplexer; INSOLE_V1_BOTH with
 * two multiplexers (left on SIG_LEFT_PIN, right on SIG_RIGHT_PIN) sharing S0..S3. */
#define INSOLE_FOOT INSOLE_V1_LEFT
#define SAMPLE_RATE_HZ 100u        /* frames per second */
#define SERIAL_BAUD 921600ul       /* 115200 works up to about 250 Hz with 16 sensors */
#define N_SENSORS 16u              /* multiplexer channels C0..C15 in use */

#define SIG_LEFT_PIN 34u           /* ADC1_CH6: ADC1 pins keep working with WiFi on */
#define SIG_RIGHT_PIN 35u          /* ADC1_CH7 */
#define S0_PIN 16u
#define S1_PIN 17u
#define S2_PIN 18u
#define S3_PIN 19u

/* ------------------------------------------------------------------------- */

#define N_BLOCKS (INSOLE_FOOT == INSOLE_V1_BOTH ? 2u : 1u)

static const mux_config_t MUX = {
    {S0_PIN, S1_PIN, S2_PIN, S3_PIN},
    {SIG_LEFT_PIN, SIG_RIGHT_PIN},
    N_BLOCKS,    /* n_sig */
    N_SENSORS,   /* n_channels */
    20u,         /* settle_us after switching channel */
    1u,          /* discard_first conversion after switching */
    2u,          /* oversample: mean of 2 conversions */
};

static const uint32_t PERIOD_US = 1000000ul / SAMPLE_RATE_HZ;
static uint16_t samples[2u * N_SENSORS];
static uint8_t frame[INSOLE_V1_FRAME_CAPACITY(2, N_SENSORS)];
static uint32_t seq = 0;
static uint32_t next_scan_us = 0;

/* The hardware-abstraction layer (hal.h) on top of the Arduino API. */
extern "C" {
void insole_hal_digital_write(uint8_t pin, uint8_t level) { digitalWrite(pin, level ? HIGH : LOW); }
uint16_t insole_hal_analog_read(uint8_t pin) { return (uint16_t)analogRead(pin); }
uint32_t insole_hal_micros(void) { return (uint32_t)micros(); }
void insole_hal_delay_us(uint32_t us) { delayMicroseconds(us); }
size_t insole_hal_write(const uint8_t *data, size_t n) { return Serial.write(data, n); }
}

void setup()
{
    Serial.begin(SERIAL_BAUD);
    for (uint8_t k = 0; k < 4; k++) {
        pinMode(MUX.select_pins[k], OUTPUT);
    }
    analogReadResolution(12); /* 0..4095: the u12 sample format */
    for (uint8_t m = 0; m < MUX.n_sig; m++) {
        analogSetPinAttenuation(MUX.sig_pins[m], ADC_11db); /* input range up to about 3.1 V */
    }
    next_scan_us = insole_hal_micros();
}

void loop()
{
    uint32_t now = insole_hal_micros();
    if ((int32_t)(now - next_scan_us) < 0) {
        return; /* not yet time for the next scan */
    }
    next_scan_us += PERIOD_US;
    if ((int32_t)(now - next_scan_us) >= 0) {
        next_scan_us = now + PERIOD_US; /* fell behind: skip rather than burst */
    }
    uint32_t t_us = now; /* start of this scan */
    if (mux_scan(&MUX, samples) <= 0) {
        return;
    }
    size_t len = insole_v1_encode(frame, sizeof frame, INSOLE_FOOT, INSOLE_V1_U12, N_SENSORS, seq,
                                  t_us, samples);
    if (len > 0) {
        insole_hal_write(frame, len); /* blocks until the whole frame is queued */
    }
    seq++; /* one number per frame produced, so a frame that could not be sent shows as a gap */
}
