using Microsoft.ML.Data;

namespace MLNet.CSP.Benchmarks;

/// <summary>Deterministic photo-sized PNGs (smooth gradients plus noise) for throughput benchmarks.</summary>
internal static class SyntheticImages
{
    public static string Write(int count, int width, int height)
    {
        string folder = Path.Combine(Path.GetTempPath(), $"mlnet-csp-bench-{count}-{width}x{height}");
        if (Directory.Exists(folder) && Directory.GetFiles(folder, "*.png").Length == count) return folder;
        Directory.CreateDirectory(folder);
        var random = new Random(42);
        var pixels = new byte[width * height * 4];
        for (int i = 0; i < count; i++)
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int o = (y * width + x) * 4;
                    pixels[o] = (byte)((x * 255 / width + i * 7 + random.Next(16)) & 0xFF);
                    pixels[o + 1] = (byte)((y * 255 / height + random.Next(16)) & 0xFF);
                    pixels[o + 2] = (byte)(((x + y) * 128 / width + i * 3) & 0xFF);
                    pixels[o + 3] = 255;
                }
            using var image = MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, pixels);
            image.Save(Path.Combine(folder, $"{i:D4}.png"));
        }
        return folder;
    }
}
