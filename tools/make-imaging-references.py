#!/usr/bin/env python3
"""Reference outputs of the timm/torchvision evaluation transform for MLNet.CSP's Imaging tests.

Writes OUT_DIR/<case>.png|.jpg (deterministic synthetic images made here with PIL) and OUT_DIR/<case>.bin (the expected
network input, float32 little-endian, [3, S, S]: torchvision.transforms Resize(shorter side, PIL interpolation) ->
CenterCrop(S) -> ToTensor -> Normalize(mean, std)), plus OUT_DIR/cases.json describing each case.
Run on Debian 12 with its packages: apt-get install python3-torchvision python3-pil
    python3 tools/make-imaging-references.py tests/MLNet.CSP.Tests/TestData/imaging
"""
import json, math, os, sys
import numpy as np
from PIL import Image
import torch
from torchvision import transforms

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20201123)

def photo(w, h):
    # Smooth colour gradients with edges and a little noise: something resizing can get wrong.
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 127 + 120 * np.sin(x / 9.0) * np.cos(y / 13.0)
    g = 255 * (x / (w - 1)) * (1 - y / (h - 1))
    b = np.where((x // 16 + y // 12) % 2 == 0, 220, 30).astype(np.float64)
    img = np.stack([r, g, b], -1) + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(np.round(img), 0, 255).astype(np.uint8), 'RGB')

imagenet = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
cases = []
def case(name, image, fmt, size, crop, interpolation, mean_std=imagenet):
    path = f'{name}.{fmt}'
    if fmt == 'png': image.save(os.path.join(out, path))
    else: image.save(os.path.join(out, path), quality=90)
    decoded = Image.open(os.path.join(out, path)).convert('RGB')
    resize = int(math.floor(size / crop))
    mode = {'bilinear': transforms.InterpolationMode.BILINEAR, 'bicubic': transforms.InterpolationMode.BICUBIC}[interpolation]
    t = transforms.Compose([transforms.Resize(resize, interpolation=mode), transforms.CenterCrop(size), transforms.ToTensor(),
                            transforms.Normalize(*mean_std)])
    x = t(decoded).numpy().astype('<f4')
    x.tofile(os.path.join(out, f'{name}.bin'))
    cases.append(dict(name=name, file=path, size=size, crop=crop, resize=resize, interpolation=interpolation,
                      mean=mean_std[0], std=mean_std[1], width=image.width, height=image.height))

landscape = photo(131, 97)
case('landscape-bicubic', landscape, 'png', 64, 0.887, 'bicubic')               # timm CSP default transform, scaled down
case('landscape-bilinear', landscape, 'png', 64, 0.875, 'bilinear')             # torchvision's
case('portrait-bilinear', photo(70, 150), 'png', 48, 0.875, 'bilinear')         # taller than wide, odd crop offsets
grey = Image.fromarray(rng.integers(0, 256, (28, 40), dtype=np.uint8), 'L')
case('grey-upscale', grey, 'png', 32, 1.0, 'bilinear', ([0.286] * 3, [0.353] * 3))   # upsampling, grey replicated to RGB
case('landscape-jpeg', landscape, 'jpg', 64, 0.875, 'bilinear')                  # a JPEG: two decoders meet
with open(os.path.join(out, 'cases.json'), 'w') as f:
    json.dump(dict(torch=torch.__version__, torchvision=__import__('torchvision').__version__,
                   pil=Image.__version__, cases=cases), f, indent=1)
print(f'{len(cases)} cases written to {out}')
