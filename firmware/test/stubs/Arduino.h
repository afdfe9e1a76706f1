/*
 * Arduino.h - a minimal stand-in for the ESP32 Arduino core, enough to compile
 * firmware/insole_esp32/insole_esp32.ino on a PC (the real toolchain cannot be
 * downloaded in the project's CI).  Declarations follow arduino-esp32
 * (esp32-hal-gpio.h, esp32-hal-adc.h, esp32-hal.h, HardwareSerial.h);
 * firmware/test/stubs/arduino_stub.cpp defines them with a fake clock and ADC.
 */
#ifndef INSOLE_TEST_ARDUINO_STUB_H
#define INSOLE_TEST_ARDUINO_STUB_H

#include <stddef.h>
#include <stdint.h>

#define LOW 0x0
#define HIGH 0x1
#define INPUT 0x01
#define OUTPUT 0x03

typedef enum { ADC_0db, ADC_2_5db, ADC_6db, ADC_11db, ADC_ATTENDB_MAX } adc_attenuation_t;

extern "C" {
void pinMode(uint8_t pin, uint8_t mode);
void digitalWrite(uint8_t pin, uint8_t val);
uint16_t analogRead(uint8_t pin);
void analogReadResolution(uint8_t bits);
void analogSetPinAttenuation(uint8_t pin, adc_attenuation_t attenuation);
unsigned long micros(void);
unsigned long millis(void);
void delay(uint32_t ms);
void delayMicroseconds(uint32_t us);
}

class HardwareSerial {
public:
    void begin(unsigned long baud);
    size_t write(uint8_t byte);
    size_t write(const uint8_t *buffer, size_t size);
    int availableForWrite(void);
    void flush(void);
};

extern HardwareSerial Serial;

#endif
