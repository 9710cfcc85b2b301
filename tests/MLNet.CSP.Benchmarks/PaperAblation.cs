using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML;

namespace MLNet.CSP.Benchmarks;

/// <summary>
/// Part 3 of the paper reproduction: small DenseNet-121 vs the CSPDenseNets built on it (CSP / fusion first /
/// fusion last, gamma 0.5 and 0.25), trained from scratch on the full Fashion-MNIST at 32x32 with the same budget.
/// Each run is a fresh child process, so its peak resident memory belongs to that run alone.
/// </summary>
internal static class PaperAblation
{
    private sealed record RunResult(string Model, int Seed, double Accuracy, double TrainSeconds, double ImagesPerSecond, long RssBeforeFit, long PeakRssDuringFit);

    public static void Run(int epochs, int seeds)
    {
        var results = new List<RunResult>();
        Console.WriteLine($"Fashion-MNIST, 60,000 train / 10,000 test, 32x32, {epochs} epochs, batch 128, AdamW, 2 threads; DenseNet-121 at width {PaperPairs.Width}, depth {PaperPairs.Depth}");
        Console.WriteLine("| model | seed | test acc | train s | images/s | peak RSS during Fit GB | RSS before Fit GB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        for (int seed = 1; seed <= seeds; seed++)
            foreach (var name in PaperPairs.Ablation)
            {
                var r = RunChild(name, seed, epochs);
                results.Add(r);
                Console.WriteLine($"| {r.Model} | {r.Seed} | {r.Accuracy:P2} | {r.TrainSeconds:F0} | {r.ImagesPerSecond:F0} | {r.PeakRssDuringFit / 1e9:F3} | {r.RssBeforeFit / 1e9:F3} |");
            }

        Console.WriteLine();
        Console.WriteLine($"| model | params M | MMACs @32 | test acc (mean of {seeds}) | train s | peak RSS during Fit GB | peak - before Fit MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var group in results.GroupBy(r => r.Model))
        {
            var c = Backbones.Describe(group.Key, 32, 32, 10);
            string accuracies = string.Join(" / ", group.Select(r => r.Accuracy.ToString("P2", CultureInfo.InvariantCulture)));
            Console.WriteLine($"| {group.Key} | {c.Parameters / 1e6:F3} | {c.Macs / 1e6:F3} | {group.Average(r => r.Accuracy):P2} ({accuracies}) | "
                + $"{group.Average(r => r.TrainSeconds):F0} | {group.Average(r => r.PeakRssDuringFit) / 1e9:F3} | {group.Average(r => r.PeakRssDuringFit - r.RssBeforeFit) / 1e6:F0} |");
        }
    }

    /// <summary>One training run in this process (the child side): prints a RESULT line.</summary>
    public static void TrainOne(string name, int seed, int epochs)
    {
        _ = PaperPairs.Ablation; // registers the variants
        var ml = new MLContext(seed: seed);
        var train = ml.Data.LoadFromEnumerable(FashionMnistAccuracy.Read("train"));
        var test = ml.Data.LoadFromEnumerable(FashionMnistAccuracy.Read("t10k"));
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var options = FashionMnistAccuracy.Options(name, epochs);
        double rate = 0;
        options.BatchCallback = p => rate = p.ImagesPerSecond;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = ProcessMemory.ResidentBytes();
        ProcessMemory.ResetPeak();
        var watch = Stopwatch.StartNew();
        using var model = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(keys.Transform(train));
        double seconds = watch.Elapsed.TotalSeconds;
        long peak = ProcessMemory.PeakResidentBytes();
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(keys.Transform(test)));
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(new RunResult(name, seed, metrics.MicroAccuracy, seconds, rate, before, peak)));
    }

    private static RunResult RunChild(string name, int seed, int epochs) =>
        ChildRun.Result<RunResult>("paper", "train-one", name, seed.ToString(CultureInfo.InvariantCulture), epochs.ToString(CultureInfo.InvariantCulture));
}
