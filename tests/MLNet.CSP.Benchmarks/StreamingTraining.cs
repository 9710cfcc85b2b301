using MLNet.CSP.Pipelines.Training;
using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML;
using SkiaSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Training from image folders larger than memory: <c>streaming-make N DIR</c> writes N generated 256x256 photos (three in four
/// JPEG, one in four PNG) in ten class folders; <c>streaming-train DIR MODE [STEPS]</c> trains cs3darknet_s at 224 with the
/// given cache mode for STEPS batches of 32 and prints the first pass's time, training images/s and the process's peak
/// resident memory. Run each configuration in its own process (the peak is per process).
/// </summary>
internal static class StreamingTraining
{
    public static void Make(int count, string folder)
    {
        var random = new Random(7);
        var watch = Stopwatch.StartNew();
        using var surface = SKSurface.Create(new SKImageInfo(256, 256, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int i = 0; i < count; i++)
        {
            int label = i % 10;
            string dir = Path.Combine(folder, $"class{label}");
            Directory.CreateDirectory(dir);
            var canvas = surface.Canvas;
            using (var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(256, random.Next(256)),
                       [new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256))],
                       SKShaderTileMode.Clamp))
            using (var paint = new SKPaint { Shader = shader })
                canvas.DrawRect(0, 0, 256, 256, paint);
            using (var paint = new SKPaint { Color = new SKColor((byte)(25 * label), (byte)(255 - 25 * label), (byte)random.Next(256)), IsAntialias = true })
            {
                float x = 40 + random.Next(176), y = 40 + random.Next(176), r = 12 + 3 * label + random.Next(20);
                if (label % 2 == 0) canvas.DrawCircle(x, y, r, paint);
                else canvas.DrawRect(x - r, y - r, 2 * r, 2 * r, paint);
            }
            using var image = surface.Snapshot();
            bool png = i % 4 == 3;
            using var data = image.Encode(png ? SKEncodedImageFormat.Png : SKEncodedImageFormat.Jpeg, 90);
            using var file = File.Create(Path.Combine(dir, $"{i:D6}.{(png ? "png" : "jpg")}"));
            data.SaveTo(file);
        }
        long bytes = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"{count} images, {bytes / 1048576.0:F0} MB on disk, written in {watch.Elapsed.TotalSeconds:F0} s");
    }

    public static void Train(string folder, CspCacheMode mode, int steps)
    {
        var ml = new MLContext(seed: 1);
        var rows = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Select(f => new LabelledPath { ImagePath = f, Label = Path.GetFileName(d) }))
            .ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var prepared = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(data).Transform(data);
        using var stop = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        double firstBatchAt = 0, measuredFrom = 0;
        int seen = 0;
        var options = new CspImageClassificationTrainer.Options
        {
            Architecture = "cs3darknet_s", ImageSize = 224, CropFraction = 1.0, BatchSize = 32, Epochs = 1, TorchThreads = 2,
            Augmentation = CspAugmentation.HorizontalFlip, CacheMode = mode, CancellationToken = stop.Token,
            BatchCallback = b =>
            {
                seen++;
                if (seen == 1) firstBatchAt = watch.Elapsed.TotalSeconds;
                if (seen == 3) measuredFrom = watch.Elapsed.TotalSeconds; // the first batches warm up allocators and threads
                if (seen == steps) stop.Cancel();
            },
        };
        try
        {
            ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(prepared).Dispose();
        }
        catch (OperationCanceledException)
        {
            // Stopped inside the first epoch on purpose, after the measured batches.
        }
        double seconds = watch.Elapsed.TotalSeconds - measuredFrom;
        Console.WriteLine($"| {rows.Count:N0} | {mode} | {firstBatchAt:F0} | {(seen - 3) * 32 / seconds:F1} | {ProcessMemory.PeakResidentBytes() / 1073741824.0:F2} |");
    }

    private sealed class LabelledPath
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
