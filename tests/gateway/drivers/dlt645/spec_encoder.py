#!/usr/bin/python3
"""A second DL/T 645-2007 encoder, written from the reference text alone
(../shared/reference/devices-and-field.md section 2), to check the driver's codec against.
It shares no code with gateway/drivers/dlt645. Reads a JSON list of cases on stdin, prints one
JSON object per case: {"name", "hex"}.

Spec, as written there:
  frame   = [FE x0..4] 68 A0..A5 68 C L DATA CS 16
  address = 12-digit meter number in BCD, low byte first
  DATA    = every byte + 0x33
  CS      = 8-bit sum of all bytes from the first 68 to the end of DATA
  DI      = 4 bytes, DI0 first
  BCD values are sent low byte first; for signed formats the top bit of the highest byte is the sign.
"""
import json
import sys


def address_bytes(number):
    digits = number.lower()
    pairs = [int(digits[i:i + 2], 16) for i in range(0, 12, 2)]  # "12 34 56 78 90 12"
    return list(reversed(pairs))                                   # low byte first


def di_bytes(di):
    # The tables write DI3 DI2 DI1 DI0; DI0 goes first on the wire.
    return list(reversed(bytes.fromhex(di)))


def bcd_value(digits_text, signed):
    # digits_text like "-000123.456" with the format's digit count; sign only when signed.
    negative = digits_text.startswith('-')
    digits = digits_text.lstrip('-').replace('.', '')
    pairs = [int(digits[i], 10) * 16 + int(digits[i + 1], 10) for i in range(0, len(digits), 2)]
    out = list(reversed(pairs))
    if negative:
        assert signed
        out[-1] |= 0x80
    return out


def frame(case):
    data = []
    for part in case['data']:
        if part['kind'] == 'di':
            data += di_bytes(part['di'])
        elif part['kind'] == 'bcd':
            data += bcd_value(part['digits'], part.get('signed', False))
        elif part['kind'] == 'raw':
            data += list(bytes.fromhex(part['hex']))
        elif part['kind'] == 'address':
            data += address_bytes(part['address'])
    body = [0x68] + address_bytes(case['address']) + [0x68, case['control'], len(data)]
    body += [(b + 0x33) & 0xFF for b in data]
    cs = sum(body) & 0xFF
    return [0xFE] * case.get('preamble', 4) + body + [cs, 0x16]


def main():
    for case in json.load(sys.stdin):
        print(json.dumps({'name': case['name'], 'hex': bytes(frame(case)).hex()}))


if __name__ == '__main__':
    main()
