/*
 * arduino_stub.cpp - runs the sketch on a PC: a fake clock, a fake 16-channel
 * multiplexer on the ADC and Serial written to stdout.  Built by
 * tests/firmware/test_firmware.py; main() runs setup() and then loop() until the
 * number of frames given on the command line has been written.
 *
 * The fake multiplexer decodes the channel from the levels last written to
 * pins 16, 17, 18, 19 (the sketch's S0..S3) and reads 100 * channel + 37 counts
 * on pin 34 and 2000 more on pin 35.  Each conversion takes 10 us of fake time;
 * the clock starts 50 ms before the 32-bit microsecond counter wraps.
 */
#include <stdio.h>
#include <stdlib.h>

#include "Arduino.h"

static uint8_t level[256];
static uint8_t mode[256];
static uint32_t now_us = 0xFFFFFFFFu - 50000u;
static unsigned long frames_written = 0;
static unsigned long baud = 0;

extern "C" {
void pinMode(uint8_t pin, uint8_t m) { mode[pin] = m; }
void digitalWrite(uint8_t pin, uint8_t val)
{
    if (mode[pin] != OUTPUT) {
        fprintf(stderr, "digitalWrite to pin %u that is not an output\n", pin);
        exit(5);
    }
    level[pin] = val ? 1 : 0;
}
uint16_t analogRead(uint8_t pin)
{
    unsigned channel = level[16] | level[17] << 1 | level[18] << 2 | level[19] << 3;
    now_us += 10u;
    return (uint16_t)(100u * channel + 37u + (pin == 35 ? 2000u : 0u));
}
void analogReadResolution(uint8_t bits) { (void)bits; }
void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t attenuation) { (void)pin; (void)attenuation; }
unsigned long micros(void) { return now_us++; }
unsigned long millis(void) { return now_us / 1000u; }
void delay(uint32_t ms) { now_us += 1000u * ms; }
void delayMicroseconds(uint32_t us) { now_us += us; }
}

void HardwareSerial::begin(unsigned long b) { baud = b; }
size_t HardwareSerial::write(uint8_t byte) { return fwrite(&byte, 1, 1, stdout); }
size_t HardwareSerial::write(const uint8_t *buffer, size_t size)
{
    if (baud == 0) {
        fprintf(stderr, "Serial.write before Serial.begin\n");
        exit(6);
    }
    frames_written++;
    return fwrite(buffer, 1, size, stdout);
}
int HardwareSerial::availableForWrite(void) { return 128; }
void HardwareSerial::flush(void) { fflush(stdout); }

HardwareSerial Serial;

void setup();
void loop();

int main(int argc, char **argv)
{
    unsigned long want = argc > 1 ? strtoul(argv[1], NULL, 10) : 10;
    unsigned long guard = 0;
    setup();
    while (frames_written < want && guard++ < 100000000ul) {
        loop();
    }
    fflush(stdout);
    fprintf(stderr, "baud %lu\n", baud);
    return frames_written == want ? 0 : 7;
}
