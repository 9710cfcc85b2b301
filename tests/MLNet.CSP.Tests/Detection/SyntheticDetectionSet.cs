using SkiaSharp;

namespace MLNet.CSP.Tests.Detection;

/// <summary>One row of a detection set: an image file, a class name per box and x0, y0, x1, y1 per box.</summary>
public sealed class DetectionRow
{
    public string ImagePath { get; set; } = "";

    public string[] Label { get; set; } = [];

    public float[] BoundingBoxes { get; set; } = [];
}

/// <summary>
/// A seeded detection set: PNGs of random sizes (landscape and portrait) with 0-3 filled rectangles, "red" or "blue", on a
/// dim noisy background.
/// </summary>
internal static class SyntheticDetectionSet
{
    public static readonly string[] Classes = ["red", "blue"];

    public static List<DetectionRow> Write(string folder, int count, int seed, bool allowEmpty = true)
    {
        var random = new Random(seed);
        var rows = new List<DetectionRow>(count);
        for (int i = 0; i < count; i++)
        {
            bool landscape = i % 2 == 0;
            int width = landscape ? 160 : 120, height = landscape ? 120 : 160;
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            using var bitmap = new SKBitmap(info);
            var pixels = new byte[info.BytesSize];
            random.NextBytes(pixels);
            for (int p = 0; p < pixels.Length; p++) pixels[p] = p % 4 == 3 ? (byte)255 : (byte)(pixels[p] / 4);
            int objects = allowEmpty ? random.Next(0, 4) : random.Next(1, 4);
            var labels = new List<string>();
            var boxes = new List<float>();
            for (int o = 0; o < objects; o++)
            {
                int w = random.Next(20, 60), h = random.Next(20, 60), x0 = 0, y0 = 0;
                for (int attempt = 0; attempt < 50; attempt++)
                {
                    (x0, y0) = (random.Next(0, width - w), random.Next(0, height - h));
                    if (!Overlaps(boxes, x0, y0, w, h)) break;
                }
                if (Overlaps(boxes, x0, y0, w, h)) continue;
                int cls = random.Next(2);
                for (int y = y0; y < y0 + h; y++)
                    for (int x = x0; x < x0 + w; x++)
                    {
                        int at = (y * width + x) * 4;
                        pixels[at] = (byte)(cls == 0 ? 230 : 40);
                        pixels[at + 1] = 60;
                        pixels[at + 2] = (byte)(cls == 0 ? 40 : 230);
                    }
                labels.Add(Classes[cls]);
                boxes.AddRange([x0, y0, x0 + w, y0 + h]);
            }
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            string path = Path.Combine(folder, $"img{i:D3}.png");
            File.WriteAllBytes(path, png.ToArray());
            rows.Add(new DetectionRow { ImagePath = path, Label = [.. labels], BoundingBoxes = [.. boxes] });
        }
        return rows;
    }

    private static bool Overlaps(List<float> boxes, int x0, int y0, int w, int h)
    {
        for (int b = 0; b < boxes.Count; b += 4)
            if (x0 < boxes[b + 2] + 2 && boxes[b] < x0 + w + 2 && y0 < boxes[b + 3] + 2 && boxes[b + 1] < y0 + h + 2) return true;
        return false;
    }
}
