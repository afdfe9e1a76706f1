/*
 * hal.h - the hardware-abstraction layer of the insole reference firmware.
 *
 * The portable C code (mux_scan.c) needs only these functions from a board.
 * A sketch implements them with its platform's calls (insole_esp32.ino: Arduino
 * digitalWrite/analogRead/micros/delayMicroseconds/Serial.write); the unit tests
 * implement them with a fake multiplexer and a fake clock (firmware/test/fw_test.c).
 * In C++ define them inside extern "C" { ... }.
 */
#ifndef INSOLE_HAL_H
#define INSOLE_HAL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Drive a digital output pin low (level 0) or high (level 1): the multiplexer select pins. */
void insole_hal_digital_write(uint8_t pin, uint8_t level);

/* One conversion of the ADC on an analog input pin, in counts (0..4095 on an ESP32). */
uint16_t insole_hal_analog_read(uint8_t pin);

/* Microseconds since boot, wrapping at 2^32 (Arduino micros()). */
uint32_t insole_hal_micros(void);

/* Busy-wait for a number of microseconds (Arduino delayMicroseconds()). */
void insole_hal_delay_us(uint32_t us);

/* Write bytes to the host link; returns the number of bytes accepted. */
size_t insole_hal_write(const uint8_t *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* INSOLE_HAL_H */
