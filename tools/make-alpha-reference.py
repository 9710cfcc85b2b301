#!/usr/bin/env python3
"""A half-transparent PNG and what PIL's convert("RGB") makes of it, for the alpha tests.

Usage (Debian 12: apt-get install python3-pil):
    /usr/bin/python3 tools/make-alpha-reference.py tests/MLNet.CSP.Tests/TestData/alpha

Writes OUT_DIR/half-transparent.png (40x30 RGBA, seeded: every pixel a random colour; alpha 255 in the left third, 128
in the middle, 0 on the right, plus a column of alpha 1, 64 and 200 pixels) and OUT_DIR/half-transparent.rgb: the bytes
of Image.open(png).convert("RGB"), row by row, R G B per pixel. PIL drops alpha and keeps each pixel's stored colour,
the fully transparent ones included; that is what timm and torchvision users feed their networks.
"""
import os
import random
import sys

from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rnd = random.Random(20261207)
w, h = 40, 30
img = Image.new("RGBA", (w, h))
for y in range(h):
    for x in range(w):
        alpha = 255 if x < 13 else 128 if x < 26 else 0
        if x == 20:
            alpha = [1, 64, 200][y % 3]
        img.putpixel((x, y), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256), alpha))
png = os.path.join(out, "half-transparent.png")
img.save(png)
rgb = Image.open(png).convert("RGB")
with open(os.path.join(out, "half-transparent.rgb"), "wb") as f:
    f.write(rgb.tobytes())
print(f"wrote {png} and its convert('RGB') bytes ({w}x{h})")
