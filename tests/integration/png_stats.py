#!/usr/bin/env python3
"""Exits 0 when a PNG screenshot is not blank: at least 1 % of its pixels differ from the most
common colour and it has at least 8 distinct colours. Decodes 8-bit RGB/RGBA non-interlaced PNGs
(what Chromium writes) with zlib only, so the test needs no imaging library.
usage: png_stats.py FILE.png"""
import struct
import sys
import zlib
from collections import Counter

def pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG layout")
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    out = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        if y % 4 == 0:   # every fourth row is plenty for the statistics
            out.extend(bytes(line[x:x + 3]) for x in range(0, stride, bpp * 4))
    return out

def main():
    px = pixels(sys.argv[1])
    counts = Counter(px)
    top = counts.most_common(1)[0][1]
    other = 1 - top / len(px)
    print("pixels sampled %d, colours %d, non-background %.1f %%" % (len(px), len(counts), 100 * other))
    sys.exit(0 if other >= 0.01 and len(counts) >= 8 else 1)

if __name__ == "__main__":
    main()
