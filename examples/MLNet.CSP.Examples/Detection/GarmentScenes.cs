using SkiaSharp;

namespace MLNet.CSP.Examples.Detection;

/// <summary>
/// A seeded detection set to look at: Fashion-MNIST garments (the embedded 28x28 images) of five visually distinct
/// classes, tinted and scaled 1x-3.5x (28-98 px), 1-6 per image on a textured colour canvas, not overlapping by more
/// than IoU 0.1; boxes are the tight boxes of each garment's visible pixels. The same seed gives the same files.
/// </summary>
internal static class GarmentScenes
{
    public static readonly string[] Classes = ["Trouser", "Bag", "Sneaker", "Dress", "Ankle_boot"];

    public static List<DetectionRow> Write(string folder, int count, int size, int seed)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(seed);
        var sources = Classes.Select(c => Directory.GetFiles(Path.Combine(ImageFolder.DefaultRoot, "train", c), "*.png").Order(StringComparer.Ordinal).ToArray()).ToArray();
        var rows = new List<DetectionRow>(count);
        for (int i = 0; i < count; i++)
        {
            using var canvas = Background(size, random);
            var labels = new List<string>();
            var boxes = new List<float>();
            int objects = random.Next(1, 7);
            for (int o = 0; o < objects; o++)
            {
                int cls = random.Next(Classes.Length);
                using var garment = SKBitmap.Decode(sources[cls][random.Next(sources[cls].Length)]);
                float scale = 1f + 2.5f * (float)random.NextDouble();
                var (bx0, by0, bx1, by1) = Extent(garment);
                if (bx1 <= bx0) continue;
                int side = (int)Math.Round(28 * scale);
                float x = random.Next(0, size - side), y = random.Next(0, size - side);
                var box = (X0: x + bx0 * scale, Y0: y + by0 * scale, X1: x + bx1 * scale, Y1: y + by1 * scale);
                if (Overlaps(boxes, box)) continue;
                Paste(canvas, garment, x, y, side, Tint(random));
                labels.Add(Classes[cls]);
                boxes.AddRange([box.X0, box.Y0, box.X1, box.Y1]);
            }
            string path = Path.Combine(folder, $"scene{i:D5}.png");
            using (var image = SKImage.FromBitmap(canvas))
            using (var png = image.Encode(SKEncodedImageFormat.Png, 100))
                File.WriteAllBytes(path, png.ToArray());
            rows.Add(new DetectionRow { ImagePath = path, Label = [.. labels], BoundingBoxes = [.. boxes] });
        }
        return rows;
    }

    /// <summary>
    /// Writes the scenes as an Ultralytics (YOLO) dataset split under <paramref name="root"/>: images/SPLIT/*.png, labels/SPLIT/*.txt
    /// with "class cx cy w h" normalised to the image, and data.yaml naming the classes (train and val splits).
    /// </summary>
    public static void WriteYolo(string root, string split, IReadOnlyList<DetectionRow> rows, int size)
    {
        string images = Directory.CreateDirectory(Path.Combine(root, "images", split)).FullName;
        string labels = Directory.CreateDirectory(Path.Combine(root, "labels", split)).FullName;
        static string F(double v) => v.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
        foreach (var row in rows)
        {
            string name = Path.GetFileNameWithoutExtension(row.ImagePath);
            File.Copy(row.ImagePath, Path.Combine(images, name + ".png"), overwrite: true);
            var lines = row.Label.Select((label, i) =>
            {
                var b = row.BoundingBoxes.AsSpan(4 * i, 4);
                return $"{Array.IndexOf(Classes, label)} {F((b[0] + b[2]) / 2 / size)} {F((b[1] + b[3]) / 2 / size)} {F((b[2] - b[0]) / size)} {F((b[3] - b[1]) / size)}";
            });
            File.WriteAllLines(Path.Combine(labels, name + ".txt"), lines);
        }
        File.WriteAllText(Path.Combine(root, "data.yaml"),
            $"# garment scenes (MLNet.CSP example detect --export-yolo); paths relative to this file\ntrain: images/train\nval: images/val\nnames: [{string.Join(", ", Classes)}]\n");
    }

    /// <summary>A dim colour gradient with blotches and pixel noise, so that the background is not a constant.</summary>
    private static SKBitmap Background(int size, Random random)
    {
        var bitmap = new SKBitmap(size, size, SKColorType.Rgba8888, SKAlphaType.Opaque);
        var pixels = new byte[size * size * 4];
        var (r0, g0, b0) = (random.Next(10, 90), random.Next(10, 90), random.Next(10, 90));
        double fx = random.NextDouble() * 0.05, fy = random.NextDouble() * 0.05, phase = random.NextDouble() * 6.3;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double wave = 25 * Math.Sin(fx * x + fy * y + phase);
                int at = (y * size + x) * 4;
                pixels[at] = Clamp(r0 + wave + random.Next(-12, 13));
                pixels[at + 1] = Clamp(g0 - wave + random.Next(-12, 13));
                pixels[at + 2] = Clamp(b0 + wave / 2 + random.Next(-12, 13));
                pixels[at + 3] = 255;
            }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        return bitmap;
    }

    private static byte Clamp(double v) => (byte)Math.Clamp(v, 0, 255);

    private static SKColor Tint(Random random)
    {
        // Bright, saturated enough to stand out from the dim background.
        float hue = random.Next(360);
        return SKColor.FromHsv(hue, 35 + random.Next(50), 85 + random.Next(16));
    }

    /// <summary>The garment's visible pixels (grey level above 30) as a box in its 28x28 frame, end exclusive.</summary>
    private static (int X0, int Y0, int X1, int Y1) Extent(SKBitmap garment)
    {
        int x0 = garment.Width, y0 = garment.Height, x1 = 0, y1 = 0;
        for (int y = 0; y < garment.Height; y++)
            for (int x = 0; x < garment.Width; x++)
                if (garment.GetPixel(x, y).Red > 30)
                    (x0, y0, x1, y1) = (Math.Min(x0, x), Math.Min(y0, y), Math.Max(x1, x + 1), Math.Max(y1, y + 1));
        return (x0, y0, x1, y1);
    }

    /// <summary>Draws the garment scaled to <paramref name="side"/>, its grey level as opacity, in the tint colour.</summary>
    private static void Paste(SKBitmap canvas, SKBitmap garment, float x, float y, int side, SKColor tint)
    {
        using var mask = new SKBitmap(garment.Width, garment.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int gy = 0; gy < garment.Height; gy++)
            for (int gx = 0; gx < garment.Width; gx++)
            {
                byte level = garment.GetPixel(gx, gy).Red;
                mask.SetPixel(gx, gy, new SKColor(tint.Red, tint.Green, tint.Blue, level));
            }
        using var surface = new SKCanvas(canvas);
        using var paint = new SKPaint { IsAntialias = true };
        using var image = SKImage.FromBitmap(mask);
        // Bilinear with the nearest mip level: what SkiaSharp 2's FilterQuality.Medium drew.
        surface.DrawImage(image, new SKRect(x, y, x + side, y + side), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Nearest), paint);
    }

    private static bool Overlaps(List<float> boxes, (float X0, float Y0, float X1, float Y1) b)
    {
        for (int i = 0; i < boxes.Count; i += 4)
        {
            float w = Math.Min(b.X1, boxes[i + 2]) - Math.Max(b.X0, boxes[i]), h = Math.Min(b.Y1, boxes[i + 3]) - Math.Max(b.Y0, boxes[i + 1]);
            if (w <= 0 || h <= 0) continue;
            float inter = w * h, union = (b.X1 - b.X0) * (b.Y1 - b.Y0) + (boxes[i + 2] - boxes[i]) * (boxes[i + 3] - boxes[i + 1]) - inter;
            if (inter / union > 0.1f) return true;
        }
        return false;
    }
}
