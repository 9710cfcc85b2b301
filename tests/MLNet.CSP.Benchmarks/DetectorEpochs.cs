using System.Diagnostics;
using Microsoft.ML;
using MLNet.CSP.Pipelines.Detection;
using SkiaSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The detector's training speed and memory. <c>detector-make N DIR</c> writes N generated 320x240 scenes (JPEG, 1-4 coloured
/// shapes of 3 classes each, boxes in <c>boxes.tsv</c>); <c>detector-epochs DIR SIZE EPOCHS</c> trains cs3darknet_s with
/// EFM on them (batch 16, 2 threads, images cached) and prints each epoch's time; <c>detector-memory DIR MODE STEPS</c> trains
/// STEPS batches of 16 at 416 with the given cache mode and prints the time to the first batch, images/s and the process's peak
/// resident memory (run each in its own process). Uses only the API of every release since 2.0.0, so the same file measures
/// an older checkout.
/// </summary>
internal static class DetectorEpochs
{
    private static readonly string[] Classes = ["circle", "square", "bar"];

    public static void Make(int count, string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(11);
        using var surface = SKSurface.Create(new SKImageInfo(320, 240, SKColorType.Rgba8888, SKAlphaType.Premul));
        var lines = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var canvas = surface.Canvas;
            canvas.Clear(new SKColor((byte)random.Next(40, 200), (byte)random.Next(40, 200), (byte)random.Next(40, 200)));
            var labels = new List<string>();
            var boxes = new List<string>();
            for (int o = 0, n = random.Next(1, 5); o < n; o++)
            {
                int c = random.Next(3), w = random.Next(24, 90), h = c == 2 ? w / 3 + 4 : (c == 0 ? w : random.Next(24, 90));
                int x = random.Next(0, 320 - w), y = random.Next(0, 240 - h);
                using var paint = new SKPaint { Color = new SKColor((byte)(80 * c + 40), (byte)random.Next(256), (byte)(230 - 80 * c)), IsAntialias = true };
                if (c == 0) canvas.DrawOval(new SKRect(x, y, x + w, y + h), paint);
                else canvas.DrawRect(new SKRect(x, y, x + w, y + h), paint);
                labels.Add(Classes[c]);
                boxes.Add(FormattableString.Invariant($"{x} {y} {x + w} {y + h}"));
            }
            using var image = surface.Snapshot();
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
            string path = Path.Combine(folder, $"{i:D6}.jpg");
            using (var file = File.Create(path)) data.SaveTo(file);
            lines.Add($"{path}\t{string.Join(' ', labels)}\t{string.Join(' ', boxes)}");
        }
        File.WriteAllLines(Path.Combine(folder, "boxes.tsv"), lines);
        Console.WriteLine($"{count} scenes in {folder}");
    }

    /// <summary>The scenes of <c>detector-make</c>: keyed labels, boxes and loaded images.</summary>
    internal static (MLContext Ml, IDataView Data) Load(string folder)
    {
        var ml = new MLContext(seed: 1);
        var rows = File.ReadAllLines(Path.Combine(folder, "boxes.tsv")).Select(l => l.Split('\t')).Select(p => new Scene
        {
            ImagePath = p[0], Label = p[1].Split(' '),
            BoundingBoxes = [.. p[2].Split(' ').Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture))],
        }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var prepared = ml.Transforms.Conversion.MapValueToKey("Label", keyData: ml.Data.LoadFromEnumerable(Classes.Select(c => new { Label = c })))
            .Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data).Transform(data);
        return (ml, prepared);
    }

    public static void Epochs(string folder, int size, int epochs)
    {
        var (ml, data) = Load(folder);
        var durations = new List<double>();
        var options = new CspObjectDetectionTrainer.Options
        {
            ImageSize = size, Epochs = epochs, BatchSize = 16, TorchThreads = 2,
            MetricsCallback = m => { durations.Add(m.Duration.TotalSeconds); Console.WriteLine(m); },
        };
        var watch = Stopwatch.StartNew();
        ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(data).Dispose();
        var later = durations.Skip(1).ToList();
        Console.WriteLine(FormattableString.Invariant(
            $"fit {watch.Elapsed.TotalSeconds:F1} s; epoch 1 {durations[0]:F2} s; epochs 2-{epochs} mean {later.Average():F2} s (min {later.Min():F2}, max {later.Max():F2})"));
    }

    public sealed class Scene
    {
        public string ImagePath { get; set; } = "";

        public string[] Label { get; set; } = [];

        public float[] BoundingBoxes { get; set; } = [];
    }
}
