using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace MLNet.CSP.Benchmarks;

/// <summary>MNIST-format (idx) image and label files, plain or gzipped, as rows of 28x28 grey images.</summary>
internal static class IdxImages
{
    public static List<ImageRow> Read(string imagesPath, string labelsPath, int? perClass = null)
    {
        byte[] images = ReadAll(imagesPath);
        byte[] labels = ReadAll(labelsPath);
        int count = (labels[4] << 24) | (labels[5] << 16) | (labels[6] << 8) | labels[7];
        var taken = new int[256];
        var rows = new List<ImageRow>(count);
        var rgba = new byte[28 * 28 * 4];
        for (int i = 0; i < count; i++)
        {
            byte label = labels[8 + i];
            if (perClass is int limit && taken[label]++ >= limit) continue;
            for (int p = 0; p < 28 * 28; p++)
            {
                byte v = images[16 + i * 784 + p];
                rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = v;
                rgba[p * 4 + 3] = 255;
            }
            rows.Add(new ImageRow { Image = MLImage.CreateFromPixels(28, 28, MLPixelFormat.Rgba32, rgba), Label = label.ToString() });
        }
        return rows;
    }

    private static byte[] ReadAll(string path)
    {
        if (!path.EndsWith(".gz", StringComparison.Ordinal)) return File.ReadAllBytes(path);
        using var input = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    internal sealed class ImageRow
    {
        [ImageType(28, 28)]
        public MLImage? Image { get; set; }

        public string Label { get; set; } = "";
    }
}
