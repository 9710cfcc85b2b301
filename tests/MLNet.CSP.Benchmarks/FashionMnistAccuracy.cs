using MLNet.CSP.Pipelines.Training;
using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Full Fashion-MNIST from scratch through the ML.NET trainer (Debian package dataset-fashion-mnist):
/// <c>dotnet run -c Release -- fashion-mnist [epochs] [architecture]</c>. Prints per-epoch metrics, test accuracy,
/// time and peak memory.
/// </summary>
internal static class FashionMnistAccuracy
{
    private const string Source = "/usr/share/datasets/fashion-mnist";

    public static void Run(int epochs, string architecture)
    {
        if (!File.Exists(Path.Combine(Source, "train-images-idx3-ubyte.gz")))
            throw new FileNotFoundException($"Install the Debian package dataset-fashion-mnist (files in {Source}).");
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Read("train"));
        var test = ml.Data.LoadFromEnumerable(Read("t10k"));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = Options(architecture, epochs);
        options.ValidationSet = keys.Transform(test);
        options.MetricsCallback = m => Console.WriteLine($"| {m.Epoch} | {m.TrainLoss:F4} | {m.TrainAccuracy:P2} | {m.ValidationAccuracy:P2} | {m.ImagesPerSecond:F0} | {m.Elapsed.TotalSeconds:F0} | {ProcessMemory.PeakResidentBytes() / 1e9:F2} |");
        Console.WriteLine($"{architecture}, {epochs} epochs, 60,000 train / 10,000 test, 32x32, 2 threads");
        Console.WriteLine("| epoch | train loss | train acc | test acc | images/s | epoch s | peak RSS GB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        ProcessMemory.ResetPeak();
        var watch = Stopwatch.StartNew();
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(train));
        double trainSeconds = watch.Elapsed.TotalSeconds;
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));
        Console.WriteLine($"Test accuracy {metrics.MicroAccuracy:P2}; Fit took {trainSeconds:F0} s (image loading included); peak RSS {ProcessMemory.PeakResidentBytes() / 1e9:F2} GB.");
    }

    /// <summary>The Fashion-MNIST training recipe every benchmark uses (the PyTorch anchor's: 32x32, AdamW, batch 128).</summary>
    internal static CspImageClassificationTrainer.Options Options(string architecture, int epochs) => new()
    {
        Architecture = architecture,
        ImageSize = 32,
        CropFraction = 1.0,
        Mean = [0.286f, 0.286f, 0.286f],
        Std = [0.353f, 0.353f, 0.353f],
        Epochs = epochs,
        BatchSize = 128,
        LearningRate = 2e-3,
        WeightDecay = 0.05,
        WarmupEpochs = 1,
        LabelSmoothing = 0.1,
        Augmentation = CspAugmentation.HorizontalFlip,
        TorchThreads = 2,
    };

    internal static List<IdxImages.ImageRow> Read(string prefix) =>
        IdxImages.Read(Path.Combine(Source, $"{prefix}-images-idx3-ubyte.gz"), Path.Combine(Source, $"{prefix}-labels-idx1-ubyte.gz"));

    internal const string Folder = Source;
}
