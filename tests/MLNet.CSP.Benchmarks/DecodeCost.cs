using MLNet.CSP.Pipelines.Training;
using Microsoft.ML;
using System.Diagnostics;
using MLNet.CSP.Imaging;
using MLNet.CSP.Models;
using Microsoft.ML.Data;
using TorchSharp;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Where a streamed image's time goes, one thread: <c>decode-cost DIR [N]</c> times ML.NET's decode of each file, the library's
/// truncation check, and the conversion to the stored pixels (RGB tensor, antialiased resize to 224, bytes) with libtorch at 1
/// and at 2 intra-op threads.
/// </summary>
internal static class DecodeCost
{
    public static void Run(string folder, int count)
    {
        var files = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Take(count).ToList();
        var preprocessing = new ImagePreprocessing(224, 224, Interpolation.Bilinear, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        double Time(Action<string> work)
        {
            foreach (var f in files.Take(20)) work(f);
            var watch = Stopwatch.StartNew();
            foreach (var f in files) work(f);
            return watch.Elapsed.TotalMilliseconds / files.Count;
        }
        double decode = Time(f => MLImage.CreateFromFile(f).Dispose());
        double check = Time(f => EncodedImageFile.Problem(f));
        using var image = MLImage.CreateFromFile(files[0]);
        void Convert(string _)
        {
            using var scope = torch.NewDisposeScope();
            var rgb = ImageTensors.ToRgbTensor(image).unsqueeze(0);
            ImageTensors.ResizeShorterSide(rgb, preprocessing.ResizeSize, preprocessing.Interpolation).mul(255f).round_().clamp_(0, 255).to_type(torch.ScalarType.Byte);
        }
        torch.set_num_threads(1);
        double one = Time(Convert);
        torch.set_num_threads(2);
        double two = Time(Convert);
        Console.WriteLine($"per image, ms: decode {decode:F2}, truncation check {check:F3}, pixels (1 thread) {one:F2}, pixels (2 threads) {two:F2}");
    }
}

/// <summary><c>pass-rate DIR MODE</c>: images/s of one streamed or cached training pass alone (decode, augment, batch; no network).</summary>
internal static class PassRate
{
    public static void Run(string folder, MLNet.CSP.Pipelines.Training.CspCacheMode mode, int images = 1920)
    {
        torch.set_num_threads(2);
        var ml = new Microsoft.ML.MLContext(seed: 1);
        var rows = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Take(images / 10).Select(f => new Row { ImagePath = f, Label = Path.GetFileName(d) })).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var prepared = ml.Transforms.LoadImages("Image", null, "ImagePath").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(data).Transform(data);
        var preprocessing = new ImagePreprocessing(224, 224, Interpolation.Bilinear, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        var layout = new MLNet.CSP.Pipelines.Classification.ClassificationLayout("Label", 10, preprocessing, MLNet.CSP.Pipelines.Training.CspAugmentation.HorizontalFlip, 0.25);
        using MLNet.CSP.Pipelines.Training.ImageTrainingSet<long, torch.Tensor> set = mode == MLNet.CSP.Pipelines.Training.CspCacheMode.Always
            ? MLNet.CSP.Pipelines.Training.CachedTrainingImages<long, torch.Tensor>.Read(prepared, "Image", MLNet.CSP.Pipelines.Data.ImageColumnKind.Image, layout, default)
            : MLNet.CSP.Pipelines.Training.StreamedTrainingImages<long, torch.Tensor>.Read(prepared, "Image", MLNet.CSP.Pipelines.Data.ImageColumnKind.Image, layout, 0, false, null, default);
        var watch = Stopwatch.StartNew();
        int n = 0;
        foreach (var (x, y) in set.TrainingBatches(32, new Random(1)))
        {
            n += (int)x.shape[0];
            x.Dispose();
            y.Dispose();
        }
        Console.WriteLine($"{mode}: {n / watch.Elapsed.TotalSeconds:F0} images/s for the pass alone");
    }

    private sealed class Row
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
